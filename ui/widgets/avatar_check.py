"""The avatar preflight shown under an avatar picker: a one-line verdict (face size in the crop, blur,
tilt), a thumbnail with the suggested head crop drawn on it, and "Use suggested crop". The scoring
(fomm_studio.live.avatar_preflight) and the crop's file run in worker threads; nothing is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from fomm_studio.api import AvatarCheck, check_avatar_file, save_suggested_crop
from ui.threads import Progress, TaskWorker, WorkerThreads
from ui.widgets.image_view import numpy_to_qimage
from ui.widgets.theme import ACCENT, OK, WARN

THUMBNAIL_SIDE = 120


class AvatarCheckView(QWidget):
    """Scores the avatar given to `check` off the GUI thread and shows the verdict; `crop_saved` carries
    the file of the suggested crop once the user asked for it. Only the latest avatar's result shows."""

    crop_saved = Signal(object)  # Path of the cropped copy
    checked = Signal(object)  # the AvatarCheck shown

    def __init__(self, crop_folder: Callable[[], Path], parent: QWidget | None = None):
        super().__init__(parent)
        self._crop_folder = crop_folder
        self._threads = WorkerThreads(self)
        self._generation = 0
        self.result: AvatarCheck | None = None
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("color: #aab1bb;")
        self.thumbnail = QLabel()
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setVisible(False)
        self.use_crop_button = QPushButton("Use suggested crop")
        self.use_crop_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.use_crop_button.setToolTip("Add a copy cropped to the head square drawn on the thumbnail")
        self.use_crop_button.setVisible(False)
        self.use_crop_button.clicked.connect(self.use_suggested_crop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.verdict)
        layout.addWidget(self.thumbnail)
        layout.addWidget(self.use_crop_button)
        self._pending: Path | None = None
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(300)  # typing a path: score once it stops changing
        self._soon.timeout.connect(lambda: self._pending is not None and self.check(self._pending))

    def check(self, path: Path, paste_back: bool = True) -> TaskWorker:
        """Score `path` in a worker; the verdict replaces "Checking…" when it is done."""
        self._generation += 1
        generation = self._generation
        self.verdict.setText(f"Checking {path.name}…")
        self.verdict.setStyleSheet("color: #aab1bb;")

        def task(_progress: Progress, _cancel: object) -> AvatarCheck:
            return check_avatar_file(path, paste_back=paste_back, thumbnail_side=THUMBNAIL_SIDE)

        worker = TaskWorker(task)
        worker.setProperty("generation", generation)
        # bound methods of this widget, so the results are queued to the GUI thread (a lambda would run
        # in the worker's thread and touch the widgets there)
        worker.finished.connect(self._on_checked)
        worker.failed.connect(self._on_failed)
        worker.stopped.connect(self._threads.reap)
        self._threads.start(worker)
        return worker

    def check_soon(self, text: str) -> None:
        """A path typed or set in a field: score it once the text rests (empty: clear the verdict)."""
        self._pending = Path(text.strip()) if text.strip() else None
        if self._pending is None:
            self._generation += 1
            self._show_nothing()
        else:
            self._soon.start()

    def _show_nothing(self) -> None:
        self.result = None
        self.verdict.setText("")
        self.thumbnail.setVisible(False)
        self.use_crop_button.setVisible(False)

    def _is_current(self) -> bool:
        """Whether the worker whose signal is being delivered scored the newest avatar."""
        sender = self.sender()
        return sender is not None and sender.property("generation") == self._generation

    @Slot(str)
    def _on_failed(self, reason: str) -> None:
        if self._is_current():
            self._show_nothing()
            self.verdict.setText(f"Not checked: {reason}")

    @Slot(object)
    def _on_checked(self, result: AvatarCheck) -> None:
        if not self._is_current():
            return  # another avatar was chosen meanwhile
        self.result = result
        score = result.score
        self.verdict.setText(score.verdict)
        self.verdict.setToolTip(
            f"{result.path}\nsharpness {score.sharpness:.0f}; tilt "
            + ("not measured" if score.tilt is None else f"{score.tilt:.1f}° ({score.tilt_method})")
        )
        self.verdict.setStyleSheet(f"color: {OK if score.good else WARN};")
        self.thumbnail.setPixmap(self._thumbnail_with_crop(result))
        self.thumbnail.setVisible(True)
        self.use_crop_button.setVisible(score.crop_suggested and score.suggested_crop is not None)
        self.checked.emit(result)

    @staticmethod
    def _thumbnail_with_crop(result: AvatarCheck) -> QPixmap:
        """The thumbnail with the suggested head square outlined (where a face was found)."""
        pixmap = QPixmap.fromImage(numpy_to_qimage(result.thumbnail))
        region = result.score.suggested_crop
        if region is not None:
            painter = QPainter(pixmap)
            painter.setPen(QPen(QColor(ACCENT), 2, Qt.PenStyle.DashLine))
            s = result.scale
            painter.drawRect(QRectF(region.left * s, region.top * s, region.side * s, region.side * s))
            painter.end()
        return pixmap

    def use_suggested_crop(self) -> TaskWorker | None:
        """Write the suggested crop as a new picture (worker thread); `crop_saved` then carries it."""
        result = self.result
        if result is None or result.score.suggested_crop is None:
            return None
        region, folder = result.score.suggested_crop, self._crop_folder()

        def task(_progress: Progress, _cancel: object) -> Path:
            return save_suggested_crop(result.path, region, folder)

        worker = TaskWorker(task)
        worker.finished.connect(self.crop_saved.emit)
        worker.failed.connect(self._on_crop_failed)
        worker.stopped.connect(self._threads.reap)
        self._threads.start(worker)
        return worker

    @Slot(str)
    def _on_crop_failed(self, reason: str) -> None:
        self.verdict.setText(f"Crop not saved: {reason}")

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Join the scoring threads (window closing)."""
        self._soon.stop()
        return self._threads.join(timeout_ms)

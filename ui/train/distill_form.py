"""The Train tab's "Distil for live" inputs: the teacher (a big checkpoint, its config detected from its
tensors when not given), the student (kind, config, optional warm start), the avatars and the length.

The data folder is the tab's dataset box; the run folder, device and Start / Stop / Resume are the
tab's run box. Detecting the teacher's config reads the whole checkpoint, so it runs in a worker.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QGroupBox, QLabel, QSpinBox, QWidget

from fomm_studio.api import PRESETS, STUDENT_KINDS, detect_config
from ui.threads import Progress, TaskWorker, WorkerThreads
from ui.widgets.path_row import path_row
from ui.widgets.theme import WARN

KIND_LABELS = {
    "hybrid": "Hybrid: the teacher's keypoint detector",
    "full": "Full: a keypoint detector of its own",
}
KIND_TIP = (
    "Hybrid keeps the teacher's keypoint detector (real-face keypoints) and distils the dense motion and "
    "generator; Full distils a complete lite model, keypoint detector included (cheaper per frame)"
)
AVATAR_SEPARATOR = ";"
MUTED = "#8a919c"


class DistillForm(QGroupBox):
    """What `trainer.distill` is given besides the data, run folder and device."""

    error = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Distil for live", parent)
        self._threads = WorkerThreads(self)
        self._detection: TaskWorker | None = None
        self.detected_config: Path | None = None  # the teacher config found from its tensors
        form = QFormLayout(self)
        self.teacher_edit, row = path_row(self.browse_teacher, placeholder="e.g. vox-cpk.pth.tar")
        self.teacher_edit.editingFinished.connect(self.detect_teacher_config)
        form.addRow("Teacher", row)
        self.teacher_config_edit, row = path_row(
            self.browse_teacher_config, placeholder="detected from the checkpoint"
        )
        self.teacher_config_edit.editingFinished.connect(self.detect_teacher_config)
        form.addRow("Teacher config", row)
        self.detect_label = QLabel()
        self.detect_label.setWordWrap(True)
        self.detect_label.setStyleSheet(f"color: {MUTED};")
        self.detect_label.setVisible(False)  # no empty row until there is something to say
        form.addRow(self.detect_label)
        self.kind_combo = QComboBox()
        for kind in STUDENT_KINDS:
            self.kind_combo.addItem(KIND_LABELS.get(kind, kind), kind)
        self.kind_combo.setToolTip(KIND_TIP)
        form.addRow("Student", self.kind_combo)
        self.student_config_edit, row = path_row(self.browse_student_config, str(PRESETS[0].path))
        form.addRow("Student config", row)
        self.init_edit, row = path_row(self.browse_init, placeholder="fresh weights, or a checkpoint")
        self.init_edit.setToolTip("Start the student from this checkpoint's weights (those that fit)")
        form.addRow("Student from", row)
        self.avatars_edit, row = path_row(self.browse_avatars, placeholder="images, or a folder of them")
        self.avatars_edit.setToolTip(
            f"The faces the student learns to animate: image files or folders, separated by '{AVATAR_SEPARATOR}'"
        )
        form.addRow("Avatars", row)
        self.max_steps = QSpinBox()
        self.max_steps.setRange(0, 100_000_000)
        self.max_steps.setSpecialValueText("default")
        form.addRow("Max steps", self.max_steps)

    # -- the values -----------------------------------------------------------------------------
    def teacher_checkpoint(self) -> Path | None:
        return _path(self.teacher_edit.text())

    def teacher_config(self) -> Path | None:
        """The config given, else the one detected from the checkpoint (None: neither yet)."""
        return _path(self.teacher_config_edit.text()) or self.detected_config

    def student_kind(self) -> str:
        return str(self.kind_combo.currentData())

    def student_config(self) -> Path | None:
        return _path(self.student_config_edit.text())

    def init_from(self) -> Path | None:
        return _path(self.init_edit.text())

    def avatars(self) -> tuple[Path, ...]:
        return tuple(Path(p.strip()) for p in self.avatars_edit.text().split(AVATAR_SEPARATOR) if p.strip())

    def steps(self) -> int | None:
        return self.max_steps.value() or None

    # -- detecting the teacher's config ---------------------------------------------------------
    def detect_teacher_config(self) -> None:
        """Find the packaged config the teacher checkpoint fits (in a worker); skipped when one is given."""
        checkpoint = self.teacher_checkpoint()
        self.detected_config = None
        if self._detection is not None:
            self._detection.cancel.set()
            self._detection = None
        if checkpoint is None or _path(self.teacher_config_edit.text()) is not None:
            self._say("", MUTED)
            return

        def detect(_progress: Progress, _cancel: threading.Event) -> tuple[Path, str]:
            match = detect_config(checkpoint)
            return match.path, match.name if match.note is None else f"{match.name} ({match.note})"

        worker = TaskWorker(detect)
        worker.finished.connect(self._on_detected)
        worker.failed.connect(self._on_detection_failed)
        worker.stopped.connect(self._threads.reap)
        self._detection = worker
        self._threads.start(worker)
        self._say(f"Detecting the config of {checkpoint.name}…", MUTED)

    def _on_detected(self, result: tuple[Path, str]) -> None:
        if self.sender() is self._detection:
            self._detection = None
            self.detected_config, name = result
            self._say(f"Teacher config: {name} (detected from its tensors)", MUTED)

    def _on_detection_failed(self, text: str) -> None:
        if self.sender() is self._detection:
            self._detection = None
            self._say(f"{text}. Choose the teacher's config.", WARN)
            self.error.emit(text)

    def _say(self, text: str, color: str) -> None:
        self.detect_label.setText(text)
        self.detect_label.setStyleSheet(f"color: {color};")
        self.detect_label.setVisible(bool(text))

    def shutdown(self, timeout_ms: int) -> bool:
        """Join a running detection (window closing)."""
        return self._threads.join(timeout_ms)

    # -- browsing -------------------------------------------------------------------------------
    def browse_teacher(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Teacher checkpoint", "", "FOMM checkpoints (*.pth.tar *.pth *.tar)"
        )
        if name:
            self.teacher_edit.setText(name)
            self.detect_teacher_config()

    def browse_teacher_config(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Teacher config", "", "Config (*.yaml *.yml)")
        if name:
            self.teacher_config_edit.setText(name)
            self.detect_teacher_config()  # a given config: no detection

    def browse_student_config(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Student config", "", "Config (*.yaml *.yml)")
        if name:
            self.student_config_edit.setText(name)

    def browse_init(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Start the student from", "", "FOMM checkpoints (*.pth.tar *.pth *.tar)"
        )
        if name:
            self.init_edit.setText(name)

    def browse_avatars(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Avatar images", "", "Images (*.png *.jpg *.jpeg *.bmp *.webp)"
        )
        if names:
            self.avatars_edit.setText(AVATAR_SEPARATOR.join(names))


def _path(text: str) -> Path | None:
    text = text.strip()
    return Path(text) if text else None

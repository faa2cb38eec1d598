"""The Live tab's avatar gallery: thumbnails of assets/avatars plus images the user opened or dropped,
and the preflight verdict of the selected one (`AvatarCheckView`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import AVATARS_DIR, IMAGE_SUFFIXES, FommError, default_output_dir, read_image
from ui.widgets.avatar_check import AvatarCheckView
from ui.widgets.image_view import numpy_to_qimage

log = logging.getLogger(__name__)

THUMBNAIL = QSize(168, 168)  # twice the icon size, for sharp icons on high-DPI screens


class AvatarGallery(QWidget):
    """Thumbnails of assets/avatars plus images the user opened or dropped. A file that is not a
    readable image is refused (`rejected`), and the selected avatar stays selected."""

    avatar_selected = Signal(object)  # Path
    rejected = Signal(object, str)  # Path, why it cannot be an avatar

    def __init__(self, crop_folder: Callable[[], Path] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.check = AvatarCheckView(crop_folder or (lambda: default_output_dir() / "avatars"))
        self.check.crop_saved.connect(self.add)  # the suggested crop: a new avatar, selected
        self.avatar_selected.connect(self.check.check)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(84, 84))
        self.list.setGridSize(QSize(96, 112))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Add an avatar image (Ctrl+O); you can also drop images here")
        self.open_button.clicked.connect(self.open_dialog)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Avatars")
        title.setStyleSheet("font-weight: 600; color: #c9ced6;")
        layout.addWidget(title)
        self.hint = QLabel("No avatars yet.\nOpen an image, or drop one here.")
        self.hint.setStyleSheet("color: #6b727d;")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.check)
        layout.addWidget(self.open_button)
        self.setMinimumWidth(214)
        self.setMaximumWidth(240)

    def populate(self, folder: Path = AVATARS_DIR) -> None:
        """List the images of `folder`; a broken file there is skipped (logged), not reported."""
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in IMAGE_SUFFIXES and self._find(path.resolve()) is None:
                    try:
                        self._add_item(path.resolve())
                    except FommError as exc:
                        log.warning("avatar skipped: %s", exc)

    def add(self, path: Path, select: bool = True) -> bool:
        """Add (once, by resolved path) and optionally select an avatar image. A file that cannot be
        read as an image is not added: `rejected` says why, and the selection stays as it was."""
        path = Path(path).resolve()
        item = self._find(path)
        if item is None:
            try:
                item = self._add_item(path)
            except FommError as exc:
                self.rejected.emit(path, str(exc))
                return False
        if select:
            self.list.setCurrentItem(item)
        return True

    def _add_item(self, path: Path) -> QListWidgetItem:
        """A tile for the image at `path`; raises the reader's error naming the file when it is none."""
        image = numpy_to_qimage(read_image(path))  # the reader the live worker uses: same verdict
        thumbnail = image.scaled(
            THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        item = QListWidgetItem(QIcon(QPixmap.fromImage(thumbnail)), path.stem.replace("_", " "))
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        item.setToolTip(str(path))
        self.list.addItem(item)
        self.hint.hide()
        return item

    def _find(self, path: Path) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == str(path):
                return item
        return None

    def current_path(self) -> Path | None:
        item = self.list.currentItem()
        return None if item is None else Path(item.data(Qt.ItemDataRole.UserRole))

    def select_number(self, number: int) -> bool:
        """Select the `number`-th avatar (1-based, as the keys 1-9); False when there is none."""
        if not 1 <= number <= self.list.count():
            return False
        self.list.setCurrentRow(number - 1)
        return True

    def cycle(self, step: int) -> None:
        """Select the next (`step` 1) or previous (-1) avatar, wrapping around the ends."""
        count = self.list.count()
        if count:
            self.list.setCurrentRow((max(self.list.currentRow(), 0) + step) % count)

    def open_dialog(self) -> None:
        pattern = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(
            self, "Open avatar image", str(AVATARS_DIR), f"Images ({pattern})"
        )
        if name:
            self.add(Path(name))

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.avatar_selected.emit(Path(current.data(Qt.ItemDataRole.UserRole)))

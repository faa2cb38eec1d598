"""The Live tab's avatar gallery: thumbnails of assets/avatars plus images the user opened or dropped."""

from __future__ import annotations

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

from fomm_studio.api import AVATARS_DIR, IMAGE_SUFFIXES


class AvatarGallery(QWidget):
    """Thumbnails of assets/avatars plus images the user opened or dropped."""

    avatar_selected = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
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
        layout.addWidget(self.open_button)
        self.setMinimumWidth(214)
        self.setMaximumWidth(240)

    def populate(self, folder: Path = AVATARS_DIR) -> None:
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    self.add(path, select=False)

    def add(self, path: Path, select: bool = True) -> None:
        """Add (once, by resolved path) and optionally select an avatar image."""
        path = Path(path).resolve()
        item = self._find(path)
        if item is None:
            item = QListWidgetItem(QIcon(QPixmap(str(path))), path.stem.replace("_", " "))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.list.addItem(item)
            self.hint.hide()
        if select:
            self.list.setCurrentItem(item)

    def _find(self, path: Path) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == str(path):
                return item
        return None

    def current_path(self) -> Path | None:
        item = self.list.currentItem()
        return None if item is None else Path(item.data(Qt.ItemDataRole.UserRole))

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

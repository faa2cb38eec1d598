"""The model bar's widgets (picker, status badge, Open, Remove) and what a checkpoint dropped on the
window is. The window owns what they do (adding, checking and selecting models)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QPushButton, QToolBar

from fomm_studio.api import ConfigMatch, ModelEntry
from ui.widgets.theme import DANGER, OK, WARN

CHECKPOINT_SUFFIXES = (".pth.tar", ".pth", ".pt")
CHECKPOINT_FILTER = "Checkpoint (*.pth.tar *.pth *.tar *.pt)"

Slot = Callable[[], None]


def dropped_checkpoints(mime: QMimeData) -> list[Path]:
    """The local checkpoint files (by their suffix) a drag carries."""
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.name.lower().endswith(CHECKPOINT_SUFFIXES)]


class ModelBar(QToolBar):
    """Title, model picker, status badge, "Open model" (a checkpoint alone, its config detected; or a
    config + checkpoint pair) and "Remove"."""

    def __init__(self, open_checkpoint: Slot, open_pair: Slot, remove: Slot):
        super().__init__("Model")
        self.setMovable(False)
        title = QLabel("  FOMM Studio  ")
        title.setStyleSheet("font-size: 15px; font-weight: 700; color: #ffffff;")
        self.addWidget(title)
        self.addSeparator()
        self.addWidget(QLabel("Model"))
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(300)
        self.addWidget(self.model_combo)
        self.model_badge = QLabel()
        self.model_badge.setObjectName("badge")
        self.addWidget(self.model_badge)
        self.open_button = QPushButton("Open model…")
        self.open_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.open_button.setToolTip(
            "Open a checkpoint (.pth.tar): its config is detected from its tensors. You can also drop a "
            "checkpoint on the window."
        )
        menu = QMenu(self.open_button)
        self.open_checkpoint_action = menu.addAction("Checkpoint (config detected)…", open_checkpoint)
        self.open_pair_action = menu.addAction("Config + checkpoint…", open_pair)
        self.open_button.setMenu(menu)
        self.addWidget(self.open_button)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove_button.clicked.connect(remove)
        self.addWidget(self.remove_button)

    def show_state(
        self, entry: ModelEntry, status: str, problem: str | None, detected: ConfigMatch | None
    ) -> None:
        """Badge text, colour and tooltip (the reason of a failure, the detected config), and whether
        Remove applies."""
        self.model_badge.setText(status)
        color = {"ready": OK, "checking": WARN}.get(status, DANGER)
        self.model_badge.setStyleSheet(f"background: {color}; color: white;")
        if problem is not None:
            tip = f"{problem}\nOpen the files again once fixed, or pick another model."
        elif status in ("ready", "checking"):
            tip = str(entry.checkpoint_path)
            if detected is not None:
                tip += f"\n{detected.message}"
        else:
            tip = (
                f"{entry.checkpoint_path} is missing. Train the default model in the Train tab or open an "
                "original checkpoint."
            )
        self.model_badge.setToolTip(tip)
        removable = entry.kind != "default"
        self.remove_button.setEnabled(removable)
        self.remove_button.setToolTip(
            f"Forget '{entry.name}' (its files stay on disk)"
            if removable
            else "The built-in default model cannot be removed"
        )

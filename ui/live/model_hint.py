"""The hint over the Live tab's panes when a real camera drives the built-in model (trained on drawn
faces only, it smears a real one): what to do instead, with buttons that lead there. Dismissed once,
it stays away (remembered in the settings). Whether it shows is decided in fomm_studio."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fomm_studio.api import DEFAULT_MODEL_HINT, LiveFrame, ModelEntry, Settings, shows_default_model_hint
from ui.widgets.theme import WARN


class DefaultModelHint(QFrame):
    """Hidden until a frame from a real camera arrives while the default model is picked."""

    load_requested = Signal()  # the model picker's add action
    distil_requested = Signal()
    finetune_requested = Signal()

    def __init__(
        self, settings: Settings, model_provider: Callable[[], ModelEntry], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.settings = settings
        self.model_provider = model_provider
        self.setObjectName("modelHint")
        self.setStyleSheet(
            f"QFrame#modelHint {{ border: 1px solid {WARN}; border-radius: 4px; background: #2a2418; }}"
        )
        self.text = QLabel(DEFAULT_MODEL_HINT)
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #e8dcc2;")
        self.load_button = self._button("Load a model…", "Open a checkpoint such as vox-cpk.pth.tar")
        self.distil_button = self._button("Distil for this CPU", "The Train tab, with the lite preset")
        self.finetune_button = self._button(
            "Fine-tune on my video", "The Train tab, starting from the built-in model"
        )
        self.dismiss_button = self._button("Dismiss", "Do not show this hint again")
        self.load_button.clicked.connect(self.load_requested)
        self.distil_button.clicked.connect(self.distil_requested)
        self.finetune_button.clicked.connect(self.finetune_requested)
        self.dismiss_button.clicked.connect(self.dismiss)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.load_button, self.distil_button, self.finetune_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.setVisible(False)

    @staticmethod
    def _button(text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space for Start/Stop
        return button

    def update_for(self, frame: LiveFrame) -> None:
        """Show or hide for the source of this frame and the model picked now."""
        kind = frame.source.kind if frame.source is not None else "other"
        dismissed = self.settings.default_model_hint_dismissed
        self.setVisible(shows_default_model_hint(kind, self.model_provider().kind, dismissed))

    def dismiss(self) -> None:
        self.settings.default_model_hint_dismissed = True
        self.setVisible(False)

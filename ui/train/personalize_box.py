"""The Train tab's "Personalize" inputs: which model (the one the Live tab uses), which clips (those
"Record training clip" saved), and how long. Start then fine-tunes that model on those clips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QSpinBox, QWidget

from fomm_studio.api import (
    LR_SCALE,
    PERSONALIZE_STEPS,
    ModelEntry,
    Settings,
    clips_folder,
    recorded_clips,
    training_clip_dataset,
)
from ui.widgets.theme import WARN

MUTED = "#8a919c"


class PersonalizeBox(QGroupBox):
    """Shows the live model and the recorded clips; `refresh()` re-reads both (on show and on Start)."""

    def __init__(
        self,
        settings: Settings,
        model_provider: Callable[[], ModelEntry] | None,
        parent: QWidget | None = None,
    ):
        super().__init__("Personalize the live model", parent)
        self.settings = settings
        self.model_provider = model_provider
        form = QFormLayout(self)
        about = QLabel(
            f"Fine-tunes the model the Live tab uses on the clips you recorded there (Record training "
            f"clip), at {LR_SCALE:g}x its learning rate. The result appears as a run: Use in Live."
        )
        about.setWordWrap(True)
        about.setStyleSheet(f"color: {MUTED};")
        form.addRow(about)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        form.addRow("Model", self.model_label)
        self.clips_label = QLabel()
        self.clips_label.setWordWrap(True)
        form.addRow("Clips", self.clips_label)
        self.steps = QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setValue(PERSONALIZE_STEPS)
        form.addRow("Steps", self.steps)

    def model(self) -> ModelEntry | None:
        return self.model_provider() if self.model_provider is not None else None

    def dataset(self) -> Path:
        return training_clip_dataset(self.settings)

    def refresh(self) -> None:
        """The live model's name and files, and how many clips there are (a folder listing, no decoding)."""
        entry = self.model()
        self.model_label.setText(entry.name if entry is not None else "none")
        self.model_label.setToolTip(str(entry.checkpoint_path) if entry is not None else "")
        folder = clips_folder(self.dataset())
        count = len(recorded_clips(self.dataset()))
        if count:
            self.clips_label.setText(f"{count} clip{'s' if count > 1 else ''} in {folder}")
            self.clips_label.setStyleSheet("")
        else:
            self.clips_label.setText(
                f"None recorded yet in {folder}: use Record training clip in the Live tab"
            )
            self.clips_label.setStyleSheet(f"color: {WARN};")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        self.refresh()
        super().showEvent(event)

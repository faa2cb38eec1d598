"""The Live tab's "Training clips" box: record the driving crops (what the keypoint detector sees, not
the output) as training data for Personalize and distillation, with a counter of the seconds recorded.

The box only posts `RecordTrainingClip`; the pipeline's threads crop and queue the frames and the
recorder's thread encodes them (`fomm_studio.live.training_clip`). The counter follows the seconds
that come back with each painted frame.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QEnterEvent, QShowEvent
from PySide6.QtWidgets import QFileDialog, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from fomm_studio.api import (
    Command,
    LiveFrame,
    RecordTrainingClip,
    Settings,
    clips_folder,
    training_clip_dataset,
)
from ui.widgets.durations import clock
from ui.widgets.theme import DANGER

if TYPE_CHECKING:
    from ui.live.panel import LivePanel

STALE_FRAMES = 2  # frames the GUI may still paint from before a command reached the worker
RECORD_TIP = (
    "Record what the model sees of your face (the driving crop, at the model's frame size) as a training "
    "clip; the Train tab's Personalize and Distil for live learn from these clips"
)


class TrainingClipBox(QGroupBox):
    """Start/stop toggle, seconds counter and dataset folder of training clips."""

    def __init__(
        self,
        settings: Settings,
        post: Callable[[Command], None],
        is_running: Callable[[], bool],
        error: Callable[[str], None],
        parent: QWidget | None = None,
    ):
        super().__init__("Training clips", parent)
        self.settings = settings
        self._post, self._is_running, self._error = post, is_running, error
        self._frames_without_clip = 0
        self.record_button = QPushButton("Record training clip")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip(RECORD_TIP)
        self.record_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space for Start/Stop
        self.record_button.clicked.connect(self._on_clicked)
        self.counter = QLabel()
        self.counter.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        self.counter.setVisible(False)
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setStyleSheet("color: #8a919c; font-size: 11px;")
        choose = QPushButton("Clip folder…")
        choose.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        choose.setToolTip("The dataset folder the clips go to (into its train/ folder)")
        choose.clicked.connect(self.choose_dataset)
        layout = QVBoxLayout(self)
        for widget in (self.record_button, self.counter, self.folder_label, choose):
            layout.addWidget(widget)
        self._show_folder()

    @property
    def recording(self) -> bool:
        return self.record_button.isChecked()

    def dataset(self) -> Path:
        return training_clip_dataset(self.settings)

    def _on_clicked(self) -> None:
        if not self._is_running():
            self.record_button.setChecked(False)
            self._error("Start the live view before recording a training clip.")
            return
        self._show_folder()
        self._post(RecordTrainingClip(self.dataset() if self.recording else None))
        self._frames_without_clip = 0
        self.show_seconds(0.0 if self.recording else None)

    def show_frame(self, frame: LiveFrame) -> None:
        """Follow the pipeline's count. At most two frames painted after Record predate it (the one
        waiting in the worker's slot and the one being made; the worker applies commands before its
        next frame), so a third frame without a clip means the clip could not start (the pipeline's
        notice says why): the toggle goes off."""
        if not self.recording:
            return
        self._frames_without_clip = 0 if frame.clip_seconds is not None else self._frames_without_clip + 1
        if self._frames_without_clip > STALE_FRAMES:
            self.record_button.setChecked(False)
            self.show_seconds(None)
        else:
            self.show_seconds(frame.clip_seconds or 0.0)

    def show_seconds(self, seconds: float | None) -> None:
        """'● CLIP 0:12 recorded', or hidden (None)."""
        self.counter.setVisible(seconds is not None)
        if seconds is not None:
            self.counter.setText(f"● CLIP {clock(seconds)} recorded")

    def on_running_changed(self, running: bool) -> None:
        """The live view stopped: the pipeline finished the clip (its notice says where)."""
        if not running:
            self.record_button.setChecked(False)
            self.show_seconds(None)

    def choose_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Dataset folder for training clips", str(self.dataset())
        )
        if folder:
            self.settings.clip_dataset = folder
            self._show_folder()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        self._show_folder()  # the default follows the output folder, which the Recording box may change
        super().showEvent(event)

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 - Qt override
        self._show_folder()
        super().enterEvent(event)

    def _show_folder(self) -> None:
        folder = clips_folder(self.dataset())
        self.folder_label.setText(f"Saves to {folder}")
        self.folder_label.setToolTip(str(folder))


def add_training_clip_box(panel: LivePanel) -> TrainingClipBox:
    """The box in the panel's controls column, wired to its worker, frames and errors."""
    box = TrainingClipBox(panel.settings, panel.controller.post, lambda: panel.running, panel.error.emit)
    panel.controls.add_group(box)
    panel.frame_shown.connect(box.show_frame)
    panel.running_changed.connect(box.on_running_changed)
    return box

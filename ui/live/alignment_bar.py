"""Aligning before Calibrate: a toggle that lays the avatar over the driving pane, its opacity, and how
far the driving keypoints are from the avatar's (the figure comes with each frame from the worker)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QWidget

from fomm_studio.api import Settings
from ui.widgets.theme import OK

ALIGN_TIP = (
    "Show the avatar over the camera image so you can match its pose and framing, then press Calibrate "
    "(C): relative motion starts from the pose you calibrate on, so the closer it is to the avatar's, "
    "the better the result. Calibrate ends aligning."
)
FIGURE_TIP = (
    "Mean distance between your keypoints and the avatar's, in % of the frame, with your face scaled "
    "to the avatar's size. Lower is better aligned."
)
WELL_ALIGNED = 3.0  # % of the frame: drawn green below this


class AlignmentBar(QWidget):
    """Off by default (the overlay is for the moment before Calibrate); the opacity is remembered."""

    changed = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.toggle = QCheckBox("Align with avatar (A)")
        self.toggle.setToolTip(ALIGN_TIP)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(10, 90)
        self.opacity_slider.setValue(round(min(max(settings.align_opacity, 0.1), 0.9) * 100))
        self.opacity_slider.setToolTip("Avatar opacity over the camera image")
        self.opacity_slider.setMaximumWidth(110)
        self.opacity_slider.setEnabled(False)
        self.figure = QLabel()
        self.figure.setToolTip(FIGURE_TIP)
        self.figure.setMinimumWidth(120)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.toggle)
        row.addWidget(self.opacity_slider)
        row.addWidget(self.figure)
        self.toggle.toggled.connect(self._on_changed)
        self.opacity_slider.valueChanged.connect(self._on_changed)

    @property
    def aligning(self) -> bool:
        return self.toggle.isChecked()

    def opacity(self) -> float:
        """The avatar's opacity over the driving pane: 0 when not aligning."""
        return self.opacity_slider.value() / 100.0 if self.aligning else 0.0

    def stop_aligning(self) -> None:
        """Calibrate was pressed: the pose is taken, the overlay goes."""
        self.toggle.setChecked(False)

    def show_figure(self, percent: float | None) -> None:
        """The latest frame's distance to the avatar's keypoints (shown while aligning)."""
        if not self.aligning or percent is None:
            self.figure.setText("")
            return
        self.figure.setText(f"Off by {percent:.1f} % of frame")
        self.figure.setStyleSheet(f"color: {OK};" if percent < WELL_ALIGNED else "")

    def _on_changed(self) -> None:
        self.opacity_slider.setEnabled(self.aligning)
        self.settings.align_opacity = self.opacity_slider.value() / 100.0
        if not self.aligning:
            self.figure.setText("")
        self.changed.emit()

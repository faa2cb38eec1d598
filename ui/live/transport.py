"""The Live tab's transport row: Start, Calibrate, Record (with its REC indicator), Snapshot and the
virtual camera; and what a file dropped on the tab is."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from fomm_studio.api import IMAGE_SUFFIXES, VIDEO_SUFFIXES, virtual_camera_availability
from ui.widgets.durations import clock
from ui.widgets.theme import DANGER

if TYPE_CHECKING:
    from ui.live.panel import LivePanel

Slot = Callable[[], None]


def _button(text: str, tip: str, slot: Slot | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space for the Start/Stop shortcut
    if slot is not None:
        button.clicked.connect(slot)
    return button


class TransportBar(QWidget):
    """The buttons under the panes. The panel owns what they do; the bar owns the REC indicator."""

    def __init__(self, start: Slot, calibrate: Slot, record: Slot, snapshot: Slot):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        self.start_button = _button("Start", "Start or stop the live view (Space)", start)
        self.start_button.setObjectName("primary")
        self.start_button.setMinimumWidth(110)
        self.calibrate_button = _button("Calibrate", "Take the current pose as neutral (C)", calibrate)
        self.record_button = _button("Record", "Record the output to an mp4 (R)", record)
        self.record_button.setCheckable(True)
        self.snapshot_button = _button("Snapshot", "Save the output as a PNG (S)", snapshot)
        self.vcam_button = _button("Virtual camera", "")
        self.vcam_button.setCheckable(True)
        state = virtual_camera_availability()
        self.vcam_button.setEnabled(state.available)
        self.vcam_button.setToolTip(state.reason)
        for button in (self.start_button, self.calibrate_button, self.record_button, self.snapshot_button):
            row.addWidget(button)
        self.rec_label = QLabel()
        self.rec_label.setStyleSheet(f"color: {DANGER}; font-weight: 600;")
        self.rec_label.setVisible(False)
        row.addWidget(self.rec_label)
        row.addStretch(1)
        row.addWidget(self.vcam_button)
        self._recording: tuple[Path, float] | None = None

    def show_recording(self, path: Path | None) -> None:
        """The REC indicator: on with the elapsed time (a 1 s timer calls `tick_recording`) and the
        file being written as its tooltip (the status line says it too), or off."""
        self._recording = None if path is None else (path, time.monotonic())
        self.rec_label.setVisible(path is not None)
        if path is not None:
            self.rec_label.setToolTip(f"Recording to {path}")
        self.tick_recording()

    def tick_recording(self) -> None:
        """Move the elapsed time on."""
        if self._recording is not None:
            self.rec_label.setText(f"● REC {clock(time.monotonic() - self._recording[1])}")


def lay_out_live_panel(panel: LivePanel, views: tuple[QWidget, ...]) -> None:
    """Gallery | (the default model's hint, the three panes, the transport row and the alignment /
    diagnostics row, above the stats) | controls."""
    center = QWidget()
    center_layout = QVBoxLayout(center)
    center_layout.setContentsMargins(0, 0, 0, 0)
    center_layout.addWidget(panel.model_hint)
    panes = QHBoxLayout()
    panes.setSpacing(8)
    for view in views:
        panes.addWidget(view, 1)
    center_layout.addLayout(panes, 5)
    center_layout.addWidget(panel.transport)
    tools = QHBoxLayout()
    tools.addWidget(panel.controls.align_bar)
    tools.addStretch(1)
    tools.addWidget(panel.diagnostics_button)
    center_layout.addLayout(tools)
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(center)
    splitter.addWidget(panel.stats)
    splitter.setStretchFactor(0, 4)
    splitter.setStretchFactor(1, 1)
    splitter.setChildrenCollapsible(False)
    layout = QHBoxLayout(panel)
    layout.setContentsMargins(8, 8, 8, 8)
    layout.setSpacing(10)
    layout.addWidget(panel.gallery)
    layout.addWidget(splitter, 1)
    layout.addWidget(panel.controls)


def p50_p95(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (0, 0 for no values)."""
    if not values:
        return 0.0, 0.0
    p50, p95 = np.percentile(values, [50, 95])
    return float(p50), float(p95)


def dropped_kind(path: str) -> str:
    """'image' (an avatar), 'video' (a driving clip) or '' (refused) for a file dropped on the tab."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return ""


def accept_drag(event: QDragEnterEvent) -> None:
    """Accept a drag that carries at least one image or video."""
    if any(dropped_kind(url.toLocalFile()) for url in event.mimeData().urls()):
        event.acceptProposedAction()


def handle_drop(
    event: QDropEvent, on_image: Callable[[Path], object], on_video: Callable[[Path], object]
) -> None:
    """Images become avatars, a video the driving source; other files are ignored."""
    for url in event.mimeData().urls():
        path = Path(url.toLocalFile())
        kind = dropped_kind(str(path))
        if kind == "image":
            on_image(path)
        elif kind == "video":
            on_video(path)
    event.acceptProposedAction()

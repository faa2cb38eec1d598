"""The Animate tab's frame inspector: a slider over the driving video that renders any frame with
overlays (driving | avatar | output) in a persistent worker thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import (
    FrameInspector,
    ModelEntry,
    MotionOptions,
    OverlayOptions,
    Panes,
    inference_context,
)
from ui.threads import WORKER_ERRORS, ThreadWorker, WorkerThreads
from ui.widgets.image_view import ImageView
from ui.widgets.legends import OVERLAY_TIPS, OverlayLegend

OVERLAYS = ("keypoints", "heatmaps", "occlusion", "masks", "deformed", "flow")

# What the inspector needs from the tab: the model, source image and driving video (None when the
# tab reported a problem), and the motion options as currently chosen.
InputsProvider = Callable[[], tuple[ModelEntry, Path, Path] | None]
MotionProvider = Callable[[], MotionOptions]


class InspectWorker(ThreadWorker):
    """Persistent worker for the scrubber: builds a `FrameInspector`, then renders the newest request."""

    ready = Signal(int)  # frame count
    rendered = Signal(int, object)  # frame index, Panes
    failed = Signal(str)

    def __init__(self, build: Callable[[], FrameInspector]):
        super().__init__()
        self._build = build
        self._requests: queue.Queue[tuple[int, OverlayOptions, MotionOptions] | None] = queue.Queue()
        self._stop = threading.Event()

    def request(self, index: int, overlays: OverlayOptions, motion: MotionOptions) -> None:
        self._requests.put((index, overlays, motion))

    def request_stop(self) -> None:
        self._stop.set()
        self._requests.put(None)

    @Slot()
    def run(self) -> None:
        try:
            with inference_context():
                inspector = self._build()
                self.ready.emit(inspector.frame_count)
                self._serve(inspector)
        except WORKER_ERRORS as exc:
            self.failed.emit(str(exc) or type(exc).__name__)
        finally:
            self.stopped.emit()

    def _serve(self, inspector: FrameInspector) -> None:
        motion = inspector.session.options
        while not self._stop.is_set():
            request = self._requests.get()
            while not self._requests.empty():  # only the newest request matters
                request = self._requests.get_nowait()
            if request is None:
                break
            index, overlays, wanted = request
            if wanted != motion:
                inspector.set_options(wanted)
                motion = wanted
            self.rendered.emit(index, inspector.inspect(index, overlays))


class InspectView(QGroupBox):
    """Three panes, a frame slider and overlay toggles; "Load for inspection" starts the worker."""

    status_message = Signal(str, str)
    error = Signal(str)

    def __init__(self, inputs: InputsProvider, motion: MotionProvider, parent: QWidget | None = None):
        super().__init__("Inspect a driving frame", parent)
        self._inputs = inputs
        self._motion = motion
        self._threads = WorkerThreads(self)
        self.worker: InspectWorker | None = None
        # At most one render asked for at a time; moves meanwhile only mark the newest frame as wanted,
        # asked for when the render arrives: while dragging, frames the handle merely passed are skipped.
        self._in_flight = False
        self._pending = False
        self._frame_count = 0
        self._build()

    def _build(self) -> None:
        self.views = [ImageView("Driving"), ImageView("Avatar"), ImageView("Output")]
        panes = QHBoxLayout()
        for view in self.views:
            panes.addWidget(view)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setEnabled(False)
        self.scrubber.valueChanged.connect(self.refresh_soon)
        self.previous_button = _step_button(
            "◀", "Previous frame (Left; PgUp: 10 back)", lambda: self.step(-1)
        )
        self.next_button = _step_button("▶", "Next frame (Right; PgDown: 10 on)", lambda: self.step(1))
        self.load_button = QPushButton("Load for inspection")
        self.load_button.clicked.connect(self.start)
        self.frame_label = QLabel("frame –")
        self.overlay_checks = {name: QCheckBox(name.capitalize()) for name in OVERLAYS}
        self.overlay_checks["keypoints"].setChecked(True)
        self.overlay_legend = OverlayLegend(horizontal=True)
        checks = QHBoxLayout()
        for name, check in self.overlay_checks.items():
            check.setToolTip(OVERLAY_TIPS[name])
            check.toggled.connect(self.refresh_soon)
            check.toggled.connect(self._show_legend)
            checks.addWidget(check)
        checks.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.load_button)
        row.addWidget(self.previous_button)
        row.addWidget(self.scrubber, 1)
        row.addWidget(self.next_button)
        row.addWidget(self.frame_label)
        layout = QVBoxLayout(self)
        layout.addLayout(panes, 1)
        layout.addLayout(row)
        layout.addLayout(checks)
        layout.addWidget(self.overlay_legend)

    def overlays(self) -> OverlayOptions:
        return OverlayOptions(**{name: check.isChecked() for name, check in self.overlay_checks.items()})

    def _show_legend(self) -> None:
        self.overlay_legend.show_for(self.overlays())

    def start(self) -> None:
        """Load the model and the driving video in a new worker (a previous one is stopped)."""
        inputs = self._inputs()
        if inputs is None:
            return
        entry, source, driving = inputs
        self.stop()
        motion = self._motion()

        def build() -> FrameInspector:
            return FrameInspector(entry.load("cpu"), source, driving, motion)

        worker = InspectWorker(build)
        worker.ready.connect(self._on_ready)
        worker.rendered.connect(self._on_rendered)
        worker.failed.connect(self._on_failed)
        worker.stopped.connect(self._threads.reap)
        self.worker = worker
        self._in_flight = self._pending = False
        self._threads.start(worker)
        self.status_message.emit("Loading the driving video for inspection…", "info")

    def step(self, frames: int) -> None:
        """Move the scrubber by `frames` (clamped), once a video is loaded."""
        if self.scrubber.isEnabled():
            self.scrubber.setValue(self.scrubber.value() + frames)

    def refresh_soon(self) -> None:
        """Render the current frame: now if no render is under way, else once it arrives (latest wins)."""
        if self.worker is None:
            return
        self._show_frame_number()
        if self._in_flight:
            self._pending = True
        else:
            self._request_inspection()

    def _request_inspection(self) -> None:
        if self.worker is None:
            return
        self._in_flight, self._pending = True, False
        self.worker.request(self.scrubber.value(), self.overlays(), self._motion())

    def _show_frame_number(self) -> None:
        self.frame_label.setText(f"frame {self.scrubber.value() + 1} / {self._frame_count}")

    def _on_ready(self, count: int) -> None:
        self._frame_count = count
        self.scrubber.setRange(0, max(count - 1, 0))
        for widget in (self.scrubber, self.previous_button, self.next_button):
            widget.setEnabled(True)
        self._show_frame_number()
        self.status_message.emit(f"Inspecting {count} frames: drag the slider", "info")
        self._request_inspection()

    def _on_rendered(self, _index: int, panes: Panes) -> None:
        if self.sender() is not self.worker:
            return  # a stopped worker's last render
        for view, image in zip(self.views, (panes.driving, panes.avatar, panes.output), strict=True):
            view.set_image(image)
        self.views[1].set_caption(panes.avatar_caption)
        self._in_flight = False
        if self._pending:
            self._request_inspection()

    def _on_failed(self, text: str) -> None:
        self.error.emit(f"Inspection: {text}")

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.request_stop()
            self.worker = None

    def shutdown(self, timeout_ms: int) -> bool:
        """Stop the worker and join its thread (window closing)."""
        self.stop()
        return self._threads.join(timeout_ms)


def _step_button(text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setFixedWidth(34)
    button.setEnabled(False)  # until a video is loaded
    button.clicked.connect(slot)
    return button

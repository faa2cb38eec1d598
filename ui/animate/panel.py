"""The Animate tab: source image + driving video -> video file (like `fomm animate`), with progress,
cancel, a preview of the result, and a frame scrubber that inspects any driving frame with overlays.

The job, the preview decoding and the inspection each run in a worker in its own QThread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    FrameInspector,
    ModelEntry,
    MotionOptions,
    OverlayOptions,
    Settings,
    VideoReader,
    inference_context,
    run_animation_job,
)
from ui.live.controls import ADAPT_SCALE_TIP
from ui.threads import WORKER_ERRORS, TaskWorker, WorkerThreads
from ui.widgets.image_view import ImageView
from ui.widgets.path_row import path_row

log = logging.getLogger(__name__)


class InspectWorker(QObject):
    """Persistent worker for the scrubber: builds a `FrameInspector`, then renders the newest request."""

    ready = Signal(int)  # frame count
    rendered = Signal(int, object)  # frame index, Panes
    failed = Signal(str)
    stopped = Signal()

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


class AnimatePanel(QWidget):
    """The Animate tab."""

    status_message = Signal(str, str)
    error = Signal(str)
    job_finished = Signal(object)  # Path

    def __init__(
        self, settings: Settings, model_provider: Callable[[], ModelEntry], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.settings = settings
        self.model_provider = model_provider
        self._threads = WorkerThreads(self)
        self._job: TaskWorker | None = None
        self._inspector: InspectWorker | None = None
        self._preview_frames: list[Any] = []
        self._preview_index = 0
        self.preview_timer = QTimer(self)
        self.preview_timer.timeout.connect(self._on_preview_tick)
        self.scrub_timer = QTimer(self)
        self.scrub_timer.setSingleShot(True)
        self.scrub_timer.setInterval(120)
        self.scrub_timer.timeout.connect(self._request_inspection)
        self._build()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self._files_group())
        left.addWidget(self._options_group())
        left.addWidget(self._run_group())
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setFixedWidth(360)
        right = QVBoxLayout()
        right.addWidget(self._preview_group(), 1)
        right.addWidget(self._inspect_group(), 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)

    def _files_group(self) -> QGroupBox:
        group = QGroupBox("Input and output")
        form = QFormLayout(group)
        self.source_edit, row = path_row(self._browse_source, self.settings.animate_source)
        form.addRow("Source image", row)
        self.driving_edit, row = path_row(self._browse_driving, self.settings.animate_driving)
        form.addRow("Driving video", row)
        self.output_edit, row = path_row(self._browse_output, self.settings.animate_output)
        form.addRow("Output video", row)
        return group

    def _options_group(self) -> QGroupBox:
        group = QGroupBox("Options (as fomm animate)")
        form = QFormLayout(group)
        self.relative = QRadioButton("Relative")
        self.absolute = QRadioButton("Absolute")
        self.relative.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.relative)
        row.addWidget(self.absolute)
        form.addRow("Motion", row)
        self.adapt_scale = QCheckBox("Adapt movement scale")
        self.adapt_scale.setToolTip(ADAPT_SCALE_TIP)
        self.find_best_frame = QCheckBox("Find best frame (face landmarks)")
        self.find_best_frame.setChecked(self.settings.animate_find_best_frame)
        self.side_by_side = QCheckBox("Side by side (source | driving | result)")
        self.device = QComboBox()
        self.device.addItems(["cpu", "cuda", "auto"])
        self.device.setCurrentText(self.settings.animate_device)
        for widget in (self.adapt_scale, self.find_best_frame, self.side_by_side):
            form.addRow(widget)
        form.addRow("Device", self.device)
        for widget in (self.relative, self.adapt_scale):
            widget.toggled.connect(self._on_scrub)
        return group

    def _run_group(self) -> QGroupBox:
        group = QGroupBox("Run")
        self.run_button = QPushButton("Animate")
        self.run_button.setObjectName("primary")
        self.run_button.clicked.connect(self.start_job)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_job)
        self.progress = QProgressBar()
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        row = QHBoxLayout()
        row.addWidget(self.run_button, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(group)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        return group

    def _preview_group(self) -> QGroupBox:
        group = QGroupBox("Result preview")
        self.preview_view = ImageView("Result")
        layout = QVBoxLayout(group)
        layout.addWidget(self.preview_view)
        return group

    def _inspect_group(self) -> QGroupBox:
        group = QGroupBox("Inspect a driving frame")
        self.inspect_views = [ImageView("Driving"), ImageView("Avatar"), ImageView("Output")]
        panes = QHBoxLayout()
        for view in self.inspect_views:
            panes.addWidget(view)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setEnabled(False)
        self.scrubber.valueChanged.connect(self._on_scrub)
        self.load_inspect = QPushButton("Load for inspection")
        self.load_inspect.clicked.connect(self.start_inspection)
        self.frame_label = QLabel("frame –")
        self.overlay_checks = {
            name: QCheckBox(name.capitalize())
            for name in ("keypoints", "heatmaps", "occlusion", "masks", "deformed")
        }
        self.overlay_checks["keypoints"].setChecked(True)
        checks = QHBoxLayout()
        for check in self.overlay_checks.values():
            check.toggled.connect(self._on_scrub)
            checks.addWidget(check)
        checks.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.load_inspect)
        row.addWidget(self.scrubber, 1)
        row.addWidget(self.frame_label)
        layout = QVBoxLayout(group)
        layout.addLayout(panes, 1)
        layout.addLayout(row)
        layout.addLayout(checks)
        return group

    # -- file dialogs ---------------------------------------------------------------------------
    def _browse_source(self) -> None:
        pattern = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "Source image", "", f"Images ({pattern})")
        if name:
            self.source_edit.setText(name)

    def _browse_driving(self) -> None:
        pattern = " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "Driving video", "", f"Videos ({pattern})")
        if name:
            self.driving_edit.setText(name)

    def _browse_output(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Output video", "result.mp4", "MP4 video (*.mp4)")
        if name:
            self.output_edit.setText(name)

    # -- the job --------------------------------------------------------------------------------
    def _inputs(self) -> tuple[ModelEntry, Path, Path, Path] | None:
        entry = self.model_provider()
        source, driving = Path(self.source_edit.text().strip()), Path(self.driving_edit.text().strip())
        output_text = self.output_edit.text().strip() or str(
            driving.with_name(driving.stem + "-animated.mp4")
        )
        problems = []
        if not entry.is_ready:
            problems.append(f"model '{entry.name}': {entry.status}")
        if not source.is_file():
            problems.append(f"source image not found: {source}")
        if not driving.is_file():
            problems.append(f"driving video not found: {driving}")
        if problems:
            self.error.emit("Cannot animate: " + "; ".join(problems))
            return None
        s = self.settings
        s.animate_source, s.animate_driving, s.animate_output = str(source), str(driving), output_text
        s.animate_find_best_frame, s.animate_device = (
            self.find_best_frame.isChecked(),
            self.device.currentText(),
        )
        return entry, source, driving, Path(output_text)

    def start_job(self) -> None:
        inputs = self._inputs()
        if inputs is None or self._job is not None:
            return
        entry, source, driving, output = inputs
        relative, adapt, best = (
            self.relative.isChecked(),
            self.adapt_scale.isChecked(),
            self.find_best_frame.isChecked(),
        )
        device, sbs = self.device.currentText(), self.side_by_side.isChecked()

        def job(progress: Callable[[int, int], None], cancel: threading.Event) -> Path:
            return run_animation_job(
                entry.config_path,
                entry.checkpoint_path,
                source,
                driving,
                output,
                relative,
                adapt,
                best,
                device,
                sbs,
                progress,
                cancel,
            )

        self.start_task(job)

    def start_task(self, fn: Callable[[Callable[[int, int], None], threading.Event], Any]) -> TaskWorker:
        worker = TaskWorker(fn)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_job_finished)
        worker.failed.connect(self._on_job_failed)
        worker.stopped.connect(self._on_job_stopped)
        self._job = worker
        self._threads.start(worker)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.status_message.emit("Animating…", "info")
        return worker

    def cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel.set()
            self.status_message.emit("Cancelling…", "info")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setFormat("%v / %m frames")
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _on_job_finished(self, path: Path) -> None:
        self.status_message.emit(f"Animation saved: {path}", "info")
        self.job_finished.emit(path)
        self.load_preview(Path(path))

    def _on_job_failed(self, text: str) -> None:
        if self._job is not None and self._job.cancel.is_set():
            self.status_message.emit("Animation cancelled; no output was written", "info")
        else:
            self.error.emit(f"Animation failed: {text}")

    def _on_job_stopped(self) -> None:
        self._job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self._threads.reap()

    # -- preview --------------------------------------------------------------------------------
    def load_preview(self, path: Path) -> None:
        """Decode the result in a worker, then play it in a loop."""

        def decode(_progress: Callable[[int, int], None], cancel: threading.Event) -> list[Any]:
            frames = []
            for frame in VideoReader(path).frames(1500):
                if cancel.is_set():
                    break
                frames.append(frame)
            return frames

        worker = TaskWorker(decode)
        worker.finished.connect(self._on_preview_loaded)
        worker.failed.connect(lambda text: self.error.emit(f"Preview: {text}"))
        worker.stopped.connect(self._threads.reap)
        self._threads.start(worker)

    def _on_preview_loaded(self, frames: list[Any]) -> None:
        self._preview_frames, self._preview_index = frames, 0
        if frames:
            self.preview_timer.start(40)

    def _on_preview_tick(self) -> None:
        if not self._preview_frames:
            self.preview_timer.stop()
            return
        self.preview_view.set_image(self._preview_frames[self._preview_index])
        self._preview_index = (self._preview_index + 1) % len(self._preview_frames)

    # -- inspection -----------------------------------------------------------------------------
    def start_inspection(self) -> None:
        inputs = self._inputs()
        if inputs is None:
            return
        entry, source, driving, _ = inputs
        self._stop_inspector()
        motion = self._motion()

        def build() -> FrameInspector:
            return FrameInspector(entry.load("cpu"), source, driving, motion)

        worker = InspectWorker(build)
        worker.ready.connect(self._on_inspect_ready)
        worker.rendered.connect(self._on_rendered)
        worker.failed.connect(lambda text: self.error.emit(f"Inspection: {text}"))
        worker.stopped.connect(self._threads.reap)
        self._inspector = worker
        self._threads.start(worker)
        self.status_message.emit("Loading the driving video for inspection…", "info")

    def _motion(self) -> MotionOptions:
        return MotionOptions(
            relative=self.relative.isChecked(), adapt_movement_scale=self.adapt_scale.isChecked()
        )

    def _on_inspect_ready(self, count: int) -> None:
        self.scrubber.setRange(0, max(count - 1, 0))
        self.scrubber.setEnabled(True)
        self.status_message.emit(f"Inspecting {count} frames: drag the slider", "info")
        self._request_inspection()

    def _on_scrub(self) -> None:
        if self._inspector is not None:
            self.scrub_timer.start()

    def _request_inspection(self) -> None:
        if self._inspector is None:
            return
        overlays = OverlayOptions(**{name: check.isChecked() for name, check in self.overlay_checks.items()})
        self._inspector.request(self.scrubber.value(), overlays, self._motion())

    def _on_rendered(self, index: int, panes: Any) -> None:
        self.frame_label.setText(f"frame {index + 1}")
        for view, image in zip(self.inspect_views, (panes.driving, panes.avatar, panes.output), strict=True):
            view.set_image(image)
        self.inspect_views[1].set_caption(panes.avatar_caption)

    def _stop_inspector(self) -> None:
        if self._inspector is not None:
            self._inspector.request_stop()
            self._inspector = None

    # -- lifetime -------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel everything and join every thread (window closing)."""
        self.preview_timer.stop()
        self.cancel_job()
        self._stop_inspector()
        return self._threads.join(timeout_ms)

"""The Live tab: avatar gallery, the three panes (driving crop, avatar, output), transport buttons,
live toggles and the performance plots. All frame work happens in the `LiveWorker` thread; this
panel only paints what arrives and turns clicks into immutable commands."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from fomm_studio.api import (
    SAMPLE_DRIVING,
    Calibrate,
    ChangeFeed,
    DeviceReport,
    FommError,
    LiveFrame,
    LiveOptions,
    LiveSpec,
    ModelCache,
    ModelEntry,
    Notice,
    SetAvatar,
    SetOptions,
    Settings,
    SetVirtualCamera,
    Snapshot,
    StartRecording,
    StopRecording,
    output_dir,
    pipeline_factory,
    read_image,
)
from ui.live.clip_box import add_training_clip_box
from ui.live.controls import LiveControls
from ui.live.device_picker import DevicePicker
from ui.live.extras import live_extras
from ui.live.feedback import show_notice, show_source_state
from ui.live.gallery import AvatarGallery
from ui.live.stats_panel import StatsPanel
from ui.live.transport import TransportBar, accept_drag, handle_drop, lay_out_live_panel, p50_p95
from ui.live.worker import LiveController, LiveWorker, PipelineFactory, loading_model_first
from ui.widgets.image_view import ImageView


class LivePanel(QWidget):
    """The Live tab. `model_provider` returns the model picked in the main window; `model_problem(id)`
    says why a model failed its check or its last load (None when it did not)."""

    status_message = Signal(str, str)  # text, kind ('info' | 'warn' | 'error')
    error = Signal(str)
    stats_text = Signal(str)
    frame_shown = Signal(object)  # LiveFrame, after painting
    running_changed = Signal(bool)
    model_failed = Signal(str, str)  # model id, why it could not be loaded

    def __init__(
        self,
        settings: Settings,
        model_provider: Callable[[], ModelEntry],
        model_problem: Callable[[str], str | None] = lambda _model_id: None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.settings = settings
        self.model_provider = model_provider
        self.model_problem = model_problem
        self.controller = LiveController(self)
        self.controller.started.connect(self._connect_worker)
        self.model_cache = ModelCache()
        self.device = settings.live_device  # 'auto', 'cpu' or 'cuda:N'; shown by `device_picker`
        self.device_report: DeviceReport | None = None  # where the running model is, once loaded
        self.latencies_ms: deque[float] = deque(maxlen=1000)  # camera read -> frame painted
        self.feed_spec = settings.camera or "auto"
        self.frames_shown = 0
        self._last_tick = time.monotonic()
        self._shown_since_tick = 0
        self.fps = 0.0
        self._restart_pending = False
        self._failure: str | None = None  # why the current worker stopped, if it failed
        self._model_banner = ""  # the output pane's banner about the picked model, if shown
        self._build()
        self.setAcceptDrops(True)
        self.fps_timer = QTimer(self)
        self.fps_timer.setInterval(1000)
        self.fps_timer.timeout.connect(self._on_fps_timer)
        self.fps_timer.start()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.device_picker = DevicePicker(self.device, self.settings.live_backend)  # top of the column
        self.device_picker.device_changed.connect(self._on_device_changed)
        self.device_picker.backend_changed.connect(self._on_device_changed)
        self.gallery = AvatarGallery(lambda: output_dir(self.settings) / "avatars")  # + the avatar preflight
        self.gallery.avatar_selected.connect(self._on_avatar_selected)
        self.gallery.rejected.connect(self._on_avatar_rejected)
        self.driving_view = ImageView("Driving")
        self.avatar_view = ImageView("Avatar")
        self.output_view = ImageView("Output")
        self.controls = LiveControls(self.settings)
        self.controls.add_group(self.device_picker, first=True)
        self.controls.options_changed.connect(self._on_options_changed)
        self.controls.source_changed.connect(self.set_source)
        self.clip_box = add_training_clip_box(self)
        self.stats = StatsPanel()
        self.stats.setMinimumHeight(150)
        self.transport = TransportBar(
            self.toggle_running, self.calibrate, self.toggle_recording, self.snapshot
        )
        self.transport.vcam_button.clicked.connect(self._on_vcam_toggled)
        bar = self.transport
        self.start_button, self.calibrate_button, self.record_button = (
            bar.start_button,
            bar.calibrate_button,
            bar.record_button,
        )
        self.snapshot_button, self.vcam_button, self.rec_label = (
            bar.snapshot_button,
            bar.vcam_button,
            bar.rec_label,
        )
        self.model_hint, self.diagnostics_button = live_extras(self)  # over and under the panes
        lay_out_live_panel(self, (self.driving_view, self.avatar_view, self.output_view))

    # -- running --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.controller.running

    @property
    def worker(self) -> LiveWorker | None:
        return self.controller.worker

    def toggle_running(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self, factory: PipelineFactory | None = None, retry_interval: float = 2.0) -> bool:
        """Start the live loop with the picked model; False (and a clear message) when it cannot."""
        if factory is None:
            factory = self._default_factory()
            if factory is None:
                return False
        self.controller.start(factory, retry_interval)  # connected in _connect_worker
        self.stats.clear()
        self.latencies_ms.clear()
        self.device_report = None
        self.device_picker.show_report(None)
        self._set_running_ui(True)
        return True

    def _connect_worker(self, worker: LiveWorker) -> None:
        """Connected before its thread starts, so not even its first signal ("Loading model…", or the
        device report of a cached model, which comes within milliseconds) is lost."""
        worker.frame_ready.connect(self._on_frame_ready)
        worker.device_ready.connect(self._on_device_ready)
        worker.source_state.connect(self._on_source_state)
        worker.notice.connect(self._on_notice)
        worker.failed.connect(self._on_failed)
        worker.model_failed.connect(self.model_failed)
        worker.stopped.connect(self._on_stopped)

    def _default_factory(self) -> PipelineFactory | None:
        entry = self.model_provider()
        problem = self.model_problem(entry.model_id)
        if not entry.is_ready or problem is not None:
            text = (
                f"Model '{entry.name}' failed: {problem.rstrip('.')}. Pick another model, or open its files "
                "again once fixed."
                if problem is not None
                else f"Model '{entry.name}': {entry.status} ({entry.checkpoint_path}). "
                "Open a config + checkpoint from the Model bar, or train one."
            )
            self.output_view.set_message(text, "error")
            self.error.emit(text)
            return None
        avatar = self.gallery.current_path()
        if avatar is None:
            self.error.emit("No avatar selected: pick one in the gallery or open an image.")
            return None
        options, backend = self.controls.options(), self.device_picker.backend()
        spec = LiveSpec(entry, self.feed_spec, options, avatar, SAMPLE_DRIVING, self.device, backend=backend)
        cache, device = self.model_cache, self.device
        return loading_model_first(
            entry.model_id, lambda: cache.get(entry, device), pipeline_factory(spec, cache)
        )

    def show_model_problem(self, text: str | None) -> None:
        """Banner over the output pane saying why the picked model cannot run; None takes that banner
        away, and only that one (not "Loading model…" or why the live view stopped)."""
        if text:
            self.output_view.set_message(text, "error")
        elif self.output_view.message == self._model_banner:
            self.output_view.set_message("")
        self._model_banner = text or ""

    def model_changed(self) -> None:
        """Another model was picked: the output pane must not show the previous model's last frame, nor
        a banner about it (why it stopped, or could not start)."""
        self.output_view.set_image(None)
        self.output_view.set_message("")
        self._model_banner = ""
        if self.running:
            self.stop_and_restart()

    def stop_and_restart(self) -> None:
        """Restart with the current model once the running worker has stopped (does not block)."""
        self._restart_pending = True
        self.stop()

    def stop(self) -> None:
        self.controller.stop()
        self.status_message.emit("Stopping…", "info")

    def shutdown(self) -> bool:
        """Stop and join the worker thread (window closing)."""
        ok = all([self.controller.shutdown(), self.gallery.check.shutdown()])
        self._set_running_ui(False)
        return ok

    def _set_running_ui(self, running: bool) -> None:
        self.start_button.setText("Stop" if running else "Start")
        self.start_button.setProperty("running", "true" if running else "false")
        self.start_button.style().unpolish(self.start_button)
        self.start_button.style().polish(self.start_button)
        if not running:
            self.record_button.setChecked(False)
            self.vcam_button.setChecked(False)
            self.transport.show_recording(None)
        self.running_changed.emit(running)

    # -- commands -------------------------------------------------------------------------------
    def calibrate(self) -> None:
        self.controls.align_bar.stop_aligning()  # the pose is taken: the overlay has done its job
        self.controller.post(Calibrate())
        self.status_message.emit("Calibrated: the next frame is the neutral pose", "info")

    def set_source(self, spec: str) -> None:
        self.feed_spec = spec
        self.settings.camera = spec
        self.controller.post(ChangeFeed(spec))

    def toggle_recording(self) -> None:
        if not self.running:
            self.record_button.setChecked(False)
            self.error.emit("Start the live view before recording.")
            return
        if self.record_button.isChecked():
            path = output_dir(self.settings) / time.strftime("fomm-live-%Y%m%d-%H%M%S.mp4")
            self.controller.post(StartRecording(path, self.controls.side_by_side.isChecked()))
            self.transport.show_recording(path)
            self.status_message.emit(f"Recording to {path}", "info")
        else:
            self.controller.post(StopRecording())
            self.transport.show_recording(None)

    def snapshot(self) -> None:
        if not self.running:
            self.error.emit("Start the live view to take a snapshot.")
            return
        self.controller.post(
            Snapshot(output_dir(self.settings) / time.strftime("fomm-snapshot-%Y%m%d-%H%M%S.png"))
        )

    def _on_vcam_toggled(self) -> None:
        self.controller.post(SetVirtualCamera(self.vcam_button.isChecked()))

    def _on_device_changed(self, _choice: str) -> None:
        """A new device or backend choice: remembered, and the running view restarts on it."""
        device, backend = self.device_picker.value(), self.device_picker.backend()
        if (device, backend) == (self.device, self.settings.live_backend):
            return
        self.device = self.settings.live_device = device
        self.settings.live_backend = backend
        if self.running:
            self.stop_and_restart()

    def _on_options_changed(self, options: LiveOptions) -> None:
        self.controller.post(SetOptions(options))

    def _on_avatar_selected(self, path: Path) -> None:
        if not self.running:  # the worker reads it when running; now read it the way the worker will
            try:
                self.avatar_view.set_image(read_image(path))
            except FommError as exc:
                self.avatar_view.set_image(None)
                self.error.emit(f"Avatar not usable: {exc}")
                return
        self.settings.avatar = str(path)
        self.controller.post(SetAvatar(path))

    def _on_avatar_rejected(self, _path: Path, reason: str) -> None:
        current = self.gallery.current_path()
        kept = f" Still using {current.name}." if current is not None else ""
        self.error.emit(f"Avatar not added: {reason}.{kept}")

    # -- worker signals -------------------------------------------------------------------------
    def _on_frame_ready(self, _frame: LiveFrame) -> None:
        worker = self.worker
        if worker is None or worker.stopping:
            return  # a stopping worker's last frames: stale once Stop or another model was picked
        frame = worker.take_latest()
        if frame is None:
            return
        start = time.perf_counter()
        panes = frame.panes
        self.driving_view.set_image(panes.driving)
        self.avatar_view.set_image(panes.avatar)
        self.avatar_view.set_caption(panes.avatar_caption)
        self.output_view.set_image(panes.output)
        self.driving_view.set_message("")
        self.output_view.set_message("")
        self.driving_view.set_caption("Driving · face" if frame.face_found else "Driving")
        self.stats.add_frame(frame.timings)
        self.device_picker.show_backend(frame.backend)
        if frame.captured_at > 0:  # painted in this event-loop pass, right after these set_image calls
            self.latencies_ms.append((time.perf_counter() - frame.captured_at) * 1000.0)
        self.frames_shown += 1
        self._shown_since_tick += 1
        if worker is not None:
            worker.gui_paint_ms = (time.perf_counter() - start) * 1000.0
        self.frame_shown.emit(frame)

    def _on_device_ready(self, report: DeviceReport) -> None:
        self.device_report = report
        self.device_picker.show_report(report)
        if report.warning:
            self.status_message.emit(report.warning, "warn")
        else:
            self.status_message.emit(f"Model loaded on {report.label}", "info")

    def latency_percentiles(self, last: int | None = None) -> tuple[float, float]:
        """Camera-to-screen latency (ms) of the last `last` painted frames (all kept): p50 and p95."""
        return p50_p95(list(self.latencies_ms)[-last:] if last else list(self.latencies_ms))

    def _on_source_state(self, state: str, text: str) -> None:
        show_source_state(self, state, text)

    def _on_notice(self, notice: Notice) -> None:
        show_notice(self, notice)

    def _on_failed(self, text: str) -> None:
        self._failure = text
        self.output_view.set_message(f"Stopped: {text}\nPress Start to try again.", "error")
        self.error.emit(text)

    def _on_stopped(self) -> None:
        if self.sender() is not self.controller.worker:
            return  # a previous worker's late signal
        self.controller.shutdown()
        self._set_running_ui(False)
        failure, self._failure = self._failure, None
        self.driving_view.set_message("")  # "Retrying every 2 s…" is over: nothing retries now
        if self.output_view.message_kind == "info":
            self.output_view.set_message("")  # "Loading model…"; an error banner says why it stopped
        if failure is None:
            self.status_message.emit("Live view stopped", "info")
        else:  # keep the reason in the status line, not just in the dialog the user may close
            self.status_message.emit(f"Live view stopped: {failure}", "error")
        if self._restart_pending:
            self._restart_pending = False
            self.start()

    def _on_fps_timer(self) -> None:
        now = time.monotonic()
        elapsed = max(now - self._last_tick, 1e-6)
        self.fps = self._shown_since_tick / elapsed
        self._last_tick, self._shown_since_tick = now, 0
        self.transport.tick_recording()
        worker = self.worker
        dropped = worker.dropped if worker is not None else 0
        if self.running:
            self.stats.add_fps(self.fps)
            latency, _ = self.latency_percentiles(last=max(1, round(self.fps)))
            device = f" · {self.device_report.device}" if self.device_report is not None else ""
            self.stats_text.emit(f"{self.fps:5.1f} fps · {latency:.0f} ms · {dropped} dropped{device}")
        else:
            self.stats_text.emit("stopped")

    # -- drag and drop --------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        handle_drop(event, self.gallery.add, lambda path: self.controls.set_source_spec(str(path)))

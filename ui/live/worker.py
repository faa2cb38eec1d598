"""The live loop's Qt side: a `LiveWorker` in a dedicated `QThread` and the controller that owns both.

The worker builds its `LivePipeline` inside its own thread (models load there, never in the GUI
thread), enters inference mode there, and loops until its stop event is set. The pipeline reads and
crops on a capture thread of its own (`LiveSpec.pipelined`), which `close()` joins. A camera that
fails is retried every `retry_interval` seconds; a video file that fails (`VideoFeedError`: missing,
undecodable) ends the worker with its reason, once. Commands arrive through
a thread-safe queue and are applied between frames. Results go to the GUI through a one-item slot:
while a frame waits to be painted, a newer one replaces it and the older one counts as dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from fomm_studio.api import (
    Command,
    FeedError,
    FommError,
    LiveFrame,
    LivePipeline,
    VideoFeedError,
    inference_context,
)
from ui.threads import LIVE_THREADS, WORKER_ERRORS

log = logging.getLogger(__name__)

PipelineFactory = Callable[[], LivePipeline]


class ModelLoadError(FommError):
    """The live pipeline could not load its model: the model is at fault, not the feed or the avatar."""

    def __init__(self, model_id: str, message: str):
        super().__init__(message)
        self.model_id = model_id


def loading_model_first(model_id: str, load: Callable[[], object], build: PipelineFactory) -> PipelineFactory:
    """`build`, after `load()` (the model) has run in the worker's thread; a load failure becomes a
    `ModelLoadError` carrying `model_id`, so the window can mark that model failed."""

    def checked() -> LivePipeline:
        try:
            load()
        except WORKER_ERRORS as exc:
            raise ModelLoadError(model_id, _describe(exc)) from exc
        return build()

    return checked


class LiveWorker(QObject):
    """Reads, animates and publishes frames until `request_stop()`. Lives in its own QThread."""

    frame_ready = Signal(object)  # LiveFrame; take the newest with take_latest()
    device_ready = Signal(object)  # DeviceReport, once the models are loaded
    source_state = Signal(str, str)  # state ('starting' | 'ok' | 'waiting' | 'lost'), text
    notice = Signal(object)  # Notice
    failed = Signal(str)
    model_failed = Signal(str, str)  # model id, why: the model could not be loaded
    stopped = Signal()

    def __init__(self, pipeline_factory: PipelineFactory, retry_interval: float = 2.0):
        super().__init__()
        self._factory = pipeline_factory
        self.retry_interval = retry_interval
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._slot: LiveFrame | None = None
        self.pipeline: LivePipeline | None = None
        self.produced = 0
        self.dropped = 0
        self.gui_paint_ms = 0.0  # written by the GUI thread (a float store is atomic in CPython)

    # -- called from the GUI thread ---------------------------------------------------------------
    def post(self, command: Command) -> None:
        self._commands.put(command)

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def take_latest(self) -> LiveFrame | None:
        """The newest unpainted frame (None if the GUI already took it); frees the slot."""
        with self._lock:
            frame, self._slot = self._slot, None
        return frame

    # -- the thread ---------------------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            with inference_context():
                self.source_state.emit("starting", "Loading model…")
                self.pipeline = self._factory()
                self.device_ready.emit(self.pipeline.device_report())
                self._loop(self.pipeline)
        except WORKER_ERRORS as exc:
            log.warning("live worker failed: %s", exc, exc_info=not isinstance(exc, FommError))
            if isinstance(exc, ModelLoadError):
                self.model_failed.emit(exc.model_id, str(exc))
            self.failed.emit(_describe(exc))
        finally:
            self._close_pipeline()
            self.stopped.emit()

    def _loop(self, pipeline: LivePipeline) -> None:
        while not self._stop.is_set():
            self._apply_commands(pipeline)
            if not pipeline.feed_open and not self._open_source(pipeline):
                continue
            try:
                frame = pipeline.step()
            except VideoFeedError:
                raise  # a file does not come back: fail with its reason instead of retrying
            except FeedError as exc:
                pipeline.close_feed()
                self.source_state.emit("lost", f"{exc}. Retrying every {self.retry_interval:.0f} s…")
                self._wait_retry()
                continue
            self._emit_notices(pipeline)
            self._publish(frame)

    def _open_source(self, pipeline: LivePipeline) -> bool:
        try:
            name = pipeline.open_feed()
        except VideoFeedError:
            raise
        except FeedError as exc:
            self.source_state.emit("waiting", f"{exc}. Retrying every {self.retry_interval:.0f} s…")
            self._wait_retry()
            return False
        self.source_state.emit("ok", name)
        return True

    def _wait_retry(self) -> None:
        """Sleep until the next retry, waking early for a stop or a new command (e.g. another source)."""
        deadline = time.monotonic() + self.retry_interval
        while not self._stop.is_set() and time.monotonic() < deadline and self._commands.empty():
            self._stop.wait(0.05)

    def _apply_commands(self, pipeline: LivePipeline) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
            pipeline.apply(command)
        self._emit_notices(pipeline)

    def _emit_notices(self, pipeline: LivePipeline) -> None:
        for notice in pipeline.take_notices():
            self.notice.emit(notice)

    def _publish(self, frame: LiveFrame) -> None:
        frame.timings["display"] += self.gui_paint_ms
        self.produced += 1
        with self._lock:
            replaced = self._slot is not None
            self._slot = frame
        if replaced:
            self.dropped += 1  # the GUI had not painted the previous frame yet: it is superseded
        else:
            self.frame_ready.emit(frame)

    def _close_pipeline(self) -> None:
        pipeline, self.pipeline = self.pipeline, None
        if pipeline is None:
            return
        try:
            pipeline.close()
        except WORKER_ERRORS as exc:
            log.warning("closing the live pipeline: %s", exc)
        self._emit_notices(pipeline)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FommError):
        return str(exc)
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return f"Out of memory while animating ({text or type(exc).__name__}). Try a smaller model."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class LiveController(QObject):
    """Owns at most one worker + thread. Start, stop, post commands; join on shutdown."""

    started = Signal(object)  # the LiveWorker, to connect its signals

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.worker: LiveWorker | None = None
        self.worker_thread: QThread | None = None  # not `thread`: that is QObject.thread()

    @property
    def running(self) -> bool:
        thread = self.worker_thread
        return thread is not None and thread.isRunning() and not self._stopping()

    def _stopping(self) -> bool:
        return self.worker is None or self.worker.stopping

    def start(self, factory: PipelineFactory, retry_interval: float = 2.0) -> LiveWorker:
        """Start a new worker (stopping and joining a previous one first)."""
        self.shutdown()
        worker = LiveWorker(factory, retry_interval)
        thread = QThread()
        thread.setObjectName("fomm-live")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would wait for the (maybe blocked) GUI thread.
        worker.stopped.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        LIVE_THREADS.add(thread)
        self.worker, self.worker_thread = worker, thread
        self.started.emit(worker)
        thread.start()
        return worker

    def post(self, command: Command) -> None:
        if self.worker is not None and not self.worker.stopping:
            self.worker.post(command)

    def stop(self) -> None:
        """Ask the worker to stop after the current frame (does not block)."""
        if self.worker is not None:
            self.worker.request_stop()

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Stop and join the thread; True when it ended within the timeout."""
        worker, thread = self.worker, self.worker_thread
        if worker is None or thread is None:
            return True
        worker.request_stop()
        finished = thread.wait(timeout_ms) if thread.isRunning() else True
        if not finished:
            log.warning("live thread did not stop within %d ms", timeout_ms)
            return False
        self.worker = None
        self.worker_thread = None
        worker.deleteLater()
        thread.deleteLater()
        return True

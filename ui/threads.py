"""Thread plumbing shared by the tabs: the registry of every worker QThread, the errors a worker turns into
a `failed` signal, the generic `TaskWorker`, and `WorkerThreads`, which starts workers in their own
QThreads and cancels and joins them when the window closes (so no QThread outlives its panel)."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, SignalInstance, Slot

from fomm_studio.api import FommError, inference_context

log = logging.getLogger(__name__)

# Every worker thread the panels started, so tests can prove none is left running.
LIVE_THREADS: weakref.WeakSet[QThread] = weakref.WeakSet()

# Errors a worker turns into a `failed` signal: the user's input (FommError), the engine running out
# of memory or hitting a backend problem (RuntimeError, MemoryError), files (OSError), bad values.
WORKER_ERRORS = (FommError, RuntimeError, MemoryError, OSError, ValueError)

Progress = Callable[[int, int], None]  # (done, total)
TaskFn = Callable[[Progress, threading.Event], Any]  # fn(progress, cancel) -> result


class ThreadWorker(QObject):
    """A worker that `WorkerThreads` runs: `run()` in its own thread, `stopped` emitted when it ends.
    A worker with a `cancel` threading.Event is cancelled when its panel closes."""

    stopped = Signal()

    # Subclasses make their `run` a @Slot(). Not this one: with a slot of the same name here, PySide6
    # runs the subclass's `run` in the GUI thread instead of the worker's (measured on 6.12).
    def run(self) -> None:
        raise NotImplementedError


def start_in_thread(worker: QObject, run: Callable[[], None], stopped: SignalInstance) -> QThread:
    """Move `worker` to a new QThread, run it, and quit the thread when it emits `stopped`."""
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(run)
    # Direct: quit() is thread-safe, and a queued call would wait for the (maybe blocked) GUI thread.
    stopped.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    LIVE_THREADS.add(thread)
    thread.start()
    return thread


class TaskWorker(ThreadWorker):
    """Runs one function `fn(progress, cancel)` in a QThread; reports progress, result or failure."""

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: TaskFn):
        super().__init__()
        self._fn = fn
        self.cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            with inference_context():
                result = self._fn(self.progress.emit, self.cancel)
        except WORKER_ERRORS as exc:
            log.warning("task failed: %s", exc)
            self.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.finished.emit(result)
        finally:
            self.stopped.emit()


class WorkerThreads(QObject):
    """The (worker, thread) pairs of one panel; `join` cancels the workers that have a `cancel` event.
    A QObject owned by the panel, so a worker's `stopped` connected to `reap` is queued to the GUI
    thread, never run in the worker's."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._pairs: list[tuple[ThreadWorker, QThread]] = []

    def start(self, worker: ThreadWorker) -> QThread:
        thread = start_in_thread(worker, worker.run, worker.stopped)
        self._pairs.append((worker, thread))
        return thread

    @Slot()
    def reap(self) -> None:
        """Forget (and schedule deletion of) finished threads and their workers."""
        alive = []
        for worker, thread in self._pairs:
            if thread.isFinished():
                worker.deleteLater()
                thread.deleteLater()
            else:
                alive.append((worker, thread))
        self._pairs = alive

    def join(self, timeout_ms: int) -> bool:
        """Cancel every cancellable worker and wait for all threads; False if one did not finish."""
        ok = True
        for worker, thread in self._pairs:
            cancel = getattr(worker, "cancel", None)
            if isinstance(cancel, threading.Event):
                cancel.set()
            ok = thread.wait(timeout_ms) and ok
        self.reap()
        return ok

"""Worker objects running in their own QThreads, owned by a panel: started, reaped when done, and
cancelled and joined when the window closes (so no QThread outlives its panel)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Slot

from ui.live.worker import LIVE_THREADS


def start_in_thread(worker: QObject, run: Callable[[], None], stopped: Any) -> QThread:
    """Move `worker` to a new QThread, run it, and quit the thread when it emits `stopped`."""
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(run)
    stopped.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    LIVE_THREADS.add(thread)
    thread.start()
    return thread


class WorkerThreads(QObject):
    """The (worker, thread) pairs of one panel. Workers have `run()` and a `stopped` signal; those
    with a `cancel` threading.Event are cancelled by `join`. A QObject owned by the panel, so a
    worker's `stopped` connected to `reap` is queued to the GUI thread, never run in the worker's."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._pairs: list[tuple[QObject, QThread]] = []

    def start(self, worker: QObject) -> QThread:
        thread = start_in_thread(worker, worker.run, worker.stopped)  # type: ignore[attr-defined]
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

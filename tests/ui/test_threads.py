"""ui.threads: a TaskWorker runs in its own thread, reports its result, and is cancelled by `join`."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject

from ui.threads import TaskWorker, WorkerThreads

pytestmark = pytest.mark.timeout(60)


def test_a_task_runs_off_the_gui_thread_and_reports_its_result(qtbot) -> None:
    owner = QObject()
    threads = WorkerThreads(owner)
    ran_in: list[threading.Thread] = []

    def task(progress, cancel) -> int:
        ran_in.append(threading.current_thread())
        progress(1, 1)
        return 42

    worker = TaskWorker(task)
    results: list[object] = []
    worker.finished.connect(results.append)
    with qtbot.waitSignal(worker.stopped, timeout=10000):
        threads.start(worker)
    qtbot.waitUntil(lambda: results == [42], timeout=5000)
    assert ran_in and ran_in[0] is not threading.main_thread()
    assert threads.join(10000)


def test_join_cancels_a_running_task(qtbot) -> None:
    owner = QObject()
    threads = WorkerThreads(owner)
    started = threading.Event()

    def task(progress, cancel) -> bool:
        started.set()
        return cancel.wait(30)

    worker = TaskWorker(task)
    threads.start(worker)
    assert started.wait(10)
    assert threads.join(10000) and worker.cancel.is_set()

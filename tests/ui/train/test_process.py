"""Stop's escalation on a training that does not react: STOP file, then SIGTERM, then a kill."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fomm_studio.training.launch import process_environment, supervised_command
from fomm_studio.training.supervisor import is_running, kill_training, read_status
from trainer.run_folder import STOP_NAME
from ui.train.process import TrainingProcess

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and process groups are POSIX here")

# A stand-in for a training process: ignores the STOP file, says when SIGTERM arrives, and either
# exits on it (a trainer saving its checkpoint) or carries on (a hung one).
CHILD = """
import signal, sys, time
exit_on_term = sys.argv[1] == "exit"
def on_term(signum, frame):
    print("got SIGTERM", flush=True)
    if exit_on_term:
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("started", flush=True)
deadline = time.time() + 60
while time.time() < deadline:
    time.sleep(0.05)
"""


def start_child(tmp_path: Path, mode: str) -> tuple[TrainingProcess, Path]:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    run_dir = tmp_path / "run"
    process = TrainingProcess()
    process.kill_grace_ms = 300
    command = supervised_command([sys.executable, str(script), mode], run_dir)
    process.start(command, run_dir, process_environment(os.environ))
    return process, run_dir


def run_until_finished(qtbot, process: TrainingProcess, run_dir: Path) -> list[object]:
    codes: list[object] = []
    process.finished.connect(codes.append)
    log: list[str] = []
    process.output.connect(log.append)

    def started() -> None:
        process.poll()
        assert "started" in "".join(log)

    try:
        qtbot.waitUntil(started, timeout=30000)
        process.request_stop(200)
        assert (run_dir / STOP_NAME).is_file()

        def finished() -> None:
            process.poll()
            assert codes

        qtbot.waitUntil(finished, timeout=30000)
    finally:
        status = read_status(run_dir)
        if status is not None and is_running(status):
            kill_training(status)
    codes.append("".join(log))
    return codes


def test_a_hung_training_is_terminated_then_killed(qtbot, tmp_path: Path) -> None:
    process, run_dir = start_child(tmp_path, "hang")
    code, log = run_until_finished(qtbot, process, run_dir)
    assert "got SIGTERM" in log  # the polite step came first
    assert code == -9  # then the kill of its process group
    assert not process.running


def test_a_training_that_honours_sigterm_is_not_killed(qtbot, tmp_path: Path) -> None:
    process, run_dir = start_child(tmp_path, "exit")
    code, log = run_until_finished(qtbot, process, run_dir)
    assert "got SIGTERM" in log and code == 0

"""The training process as the GUI sees it: started detached (closing the window never kills it), output
read from the run folder's train.log, exit code from the supervisor's process.json.

Stop = STOP file; if the training still runs after `stop_timeout_ms`, SIGTERM (it saves and exits), and
after `kill_grace_ms` more, a kill of its whole process group.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QIODevice, QObject, QProcess, QProcessEnvironment, QTimer, Signal

from fomm_studio.api import (
    FommError,
    ProcessStatus,
    kill_training,
    pid_alive,
    read_status,
    request_stop,
    status_path,
    terminate_training,
    training_log_path,
)


class TrainingProcess(QObject):
    """One training at a time. Call `poll()` regularly (the Train tab's timer does)."""

    output = Signal(str)
    finished = Signal(object)  # exit code (int) or None when unknown (killed from outside)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.running = False
        self.stop_requested = False
        self.kill_grace_ms = 10000
        self.start_timeout_s = 60.0
        self._started_at = 0.0
        self._launched_pid: int | None = None
        self._log_offset = 0
        self._escalation = 0
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._on_stop_timeout)

    def start(self, command: list[str], run_dir: Path, environment: dict[str, str]) -> None:
        """Start `command` detached, its stdout and stderr appended to run_dir/train.log."""
        if self.running:
            raise FommError(f"a training is already running in {self.run_dir}")
        run_dir.mkdir(parents=True, exist_ok=True)
        status_path(run_dir).unlink(missing_ok=True)
        log = training_log_path(run_dir)
        process = QProcess()
        process.setProgram(command[0])
        process.setArguments(command[1:])
        process.setWorkingDirectory(str(run_dir))
        env = QProcessEnvironment()
        for key, value in environment.items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        process.setStandardOutputFile(str(log), QIODevice.OpenModeFlag.Append)
        process.setStandardErrorFile(str(log), QIODevice.OpenModeFlag.Append)
        self._log_offset = log.stat().st_size if log.is_file() else 0
        # PySide6 does not return the pid here; the supervisor writes it to process.json (deleted above,
        # so the first status file that appears is this launch's)
        if not process.startDetached():
            raise FommError(f"cannot start the training process {command[0]}: {process.errorString()}")
        self._begin(run_dir, None)

    def attach(self, run_dir: Path) -> bool:
        """Follow a training that an earlier session left running in `run_dir`; False when none runs."""
        status = read_status(run_dir)
        if (
            self.running
            or status is None
            or status.state != "running"
            or not pid_alive(status.supervisor_pid)
        ):
            return False
        log = training_log_path(run_dir)
        self._begin(run_dir, status.supervisor_pid)
        self._log_offset = log.stat().st_size if log.is_file() else 0
        return True

    def _begin(self, run_dir: Path, pid: int | None) -> None:
        self.run_dir, self._launched_pid, self._started_at = run_dir, pid, time.monotonic()
        self.running, self.stop_requested, self._escalation = True, False, 0

    def request_stop(self, timeout_ms: int) -> None:
        """STOP file now; escalate if the training has not ended after `timeout_ms`."""
        if not self.running or self.run_dir is None:
            return
        request_stop(self.run_dir)
        self.stop_requested = True
        self._kill_timer.start(max(0, timeout_ms))

    def _on_stop_timeout(self) -> None:
        status = self._status()
        if not self.running or status is None:
            return
        if self._escalation == 0:
            terminate_training(status)
            self._escalation = 1
            self._kill_timer.start(self.kill_grace_ms)
        else:
            kill_training(status)

    def _status(self) -> ProcessStatus | None:
        status = read_status(self.run_dir) if self.run_dir is not None else None
        if status is not None and self._launched_pid is None:
            self._launched_pid = status.supervisor_pid
        return status if status is not None and status.supervisor_pid == self._launched_pid else None

    def poll(self) -> None:
        """Forward new log output; notice the end of the process."""
        if self.run_dir is None:
            return
        self._read_log()
        if not self.running:
            return
        status = self._status()
        if status is not None and status.state == "exited":
            self._finish(status.exit_code)
        elif status is not None and not pid_alive(status.supervisor_pid):
            self._finish(self._exited_code())
        elif status is None and time.monotonic() - self._started_at > self.start_timeout_s:
            self._finish(None)  # the supervisor never came up; its output (if any) is in the log

    def _exited_code(self) -> int | None:
        """The supervisor may have written its exit status between two looks."""
        status = self._status()
        return status.exit_code if status is not None and status.state == "exited" else None

    def _read_log(self) -> None:
        log = training_log_path(self.run_dir) if self.run_dir is not None else None
        if log is None or not log.is_file():
            return
        with open(log, "rb") as handle:
            handle.seek(self._log_offset)
            data = handle.read()
        if data:
            self._log_offset += len(data)
            self.output.emit(data.decode("utf-8", errors="replace"))

    def _finish(self, code: int | None) -> None:
        self._read_log()
        self.running = False
        self._kill_timer.stop()
        self.finished.emit(code)

    def wait_finished(self, timeout_s: float) -> bool:
        """Block (window closing only) until the training ended or `timeout_s` passed."""
        deadline = time.monotonic() + timeout_s
        while self.running and time.monotonic() < deadline:
            self.poll()
            if self.running:
                time.sleep(0.2)
        return not self.running

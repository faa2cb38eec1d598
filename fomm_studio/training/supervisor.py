"""Runs a training command and records its pid and exit code in the run folder (`process.json`).

    python -m fomm_studio.training.supervisor --status R/process.json -- python -m trainer.train ...

The GUI starts this detached (so closing the window never kills the training) and reads the status
file to know whether the training still runs and how it ended. SIGTERM/SIGINT are passed on to the
training (which saves a checkpoint and exits). The command runs in its own process group on POSIX, so
`kill_training` also reaches torchrun's worker processes. No torch import: this starts in milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from engine.atomic import atomic_write_text

STATUS_NAME = "process.json"
LOG_NAME = "train.log"


def status_path(run_dir: Path) -> Path:
    """Where the supervisor records the training's pid and exit code."""
    return run_dir / STATUS_NAME


def log_path(run_dir: Path) -> Path:
    """The training's combined stdout and stderr."""
    return run_dir / LOG_NAME


@dataclass(frozen=True)
class ProcessStatus:
    """What the supervisor last wrote: `state` is 'running' or 'exited' (then `exit_code` is set)."""

    state: str
    supervisor_pid: int
    pid: int | None
    exit_code: int | None
    started: float
    ended: float | None


def write_status(path: Path, status: ProcessStatus) -> None:
    """Atomically, so a reader never sees half a status."""
    atomic_write_text(path, json.dumps(status.__dict__) + "\n")


def read_status(run_dir: Path) -> ProcessStatus | None:
    """The status file of a run folder, or None when absent or unreadable (e.g. never supervised)."""
    try:
        data = json.loads(status_path(run_dir).read_text(encoding="utf-8"))
        return ProcessStatus(**data)
    except (OSError, ValueError, TypeError):
        return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie (POSIX; on Windows: assume alive)."""
    if os.name != "posix":
        return True  # the status file's 'exited' is the signal there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill(pid, 0) said it exists


def is_running(status: ProcessStatus | None) -> bool:
    """A supervised training that has not exited and whose supervisor still lives."""
    return status is not None and status.state == "running" and pid_alive(status.supervisor_pid)


def terminate_training(status: ProcessStatus) -> None:
    """Ask politely (SIGTERM: the trainer saves a checkpoint and exits)."""
    _signal(status.supervisor_pid, signal.SIGTERM)


def kill_training(status: ProcessStatus) -> None:
    """Kill the training's process group (torchrun and its workers) and the supervisor."""
    if status.pid is not None and os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
            os.killpg(status.pid, signal.SIGKILL)
    elif status.pid is not None:
        _signal(status.pid, signal.SIGTERM)  # TerminateProcess on Windows
    _signal(status.supervisor_pid, signal.SIGTERM)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.kill(pid, signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command after `--`, recording its status; exits with its exit code."""
    parser = argparse.ArgumentParser(prog="python -m fomm_studio.training.supervisor")
    parser.add_argument("--status", type=Path, required=True, help="status file to write (process.json)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command and its arguments")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    started = time.time()
    try:
        child = subprocess.Popen(command, start_new_session=os.name == "posix")
    except OSError as exc:
        print(f"training_supervisor: cannot start {command[0]}: {exc}", file=sys.stderr)
        write_status(args.status, ProcessStatus("exited", os.getpid(), None, 127, started, time.time()))
        return 127
    write_status(args.status, ProcessStatus("running", os.getpid(), child.pid, None, started, None))

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signal.SIGTERM if os.name == "posix" else signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    code = child.wait()
    write_status(args.status, ProcessStatus("exited", os.getpid(), child.pid, code, started, time.time()))
    return code


if __name__ == "__main__":
    sys.exit(main())

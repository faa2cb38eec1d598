"""Reading and steering a training run folder from outside the training: tail its events while they
are written, ask the training to stop. No Qt, no model code.

The layout and the meaning of the events are `trainer.run_folder`'s; everything here is read-only
except `request_stop`, which writes the STOP file the training loop polls each step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from trainer.run_folder import EVENTS_NAME, STOP_NAME


@dataclass
class EventTail:
    """Incremental reader of events.jsonl: call `read_new()` repeatedly; a partial last line waits."""

    path: Path
    offset: int = 0

    def read_new(self) -> list[dict[str, Any]]:
        """Complete events appended since the last call (an unterminated last line is left for later)."""
        if not self.path.is_file():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        return _parse_lines(data[:end])


def _parse_lines(data: bytes) -> list[dict[str, Any]]:
    events = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by a crash mid-write; the rest of the log is still good
        if isinstance(event, dict):
            events.append(event)
    return events


def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every complete event of a run, tolerating a partial (still being written) last line."""
    return EventTail(Path(run_dir) / EVENTS_NAME).read_new()


def request_stop(run_dir: str | Path) -> Path:
    """Ask a running training to checkpoint and exit (it polls for this file every step)."""
    path = Path(run_dir) / STOP_NAME
    atomic_write_text(path, "stop requested\n")
    return path

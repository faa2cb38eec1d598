"""Reading and steering training run folders (what the GUI Train tab needs); no Qt, no model code.

A run folder is written by `fomm train` (see trainer.run_folder for the layout). Everything here is
read-only except `request_stop`, which writes the STOP file the training loop polls each step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from trainer.run_folder import (
    BEST_NAME,
    CHECKPOINT_DIR,
    EVENTS_NAME,
    SAMPLE_DIR,
    STOP_NAME,
)


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


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Step checkpoints oldest first, then best.pth.tar if present."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    steps = sorted(p for p in folder.glob("step-*.pth.tar") if p.is_file())
    best = folder / BEST_NAME
    return steps + ([best] if best.is_file() else [])


def list_samples(run_dir: str | Path) -> list[Path]:
    """Sample reconstruction PNGs, oldest first."""
    folder = Path(run_dir) / SAMPLE_DIR
    return sorted(folder.glob("step-*.png")) if folder.is_dir() else []


def request_stop(run_dir: str | Path) -> Path:
    """Ask a running training to checkpoint and exit (it polls for this file every step)."""
    path = Path(run_dir) / STOP_NAME
    atomic_write_text(path, "stop requested\n")
    return path

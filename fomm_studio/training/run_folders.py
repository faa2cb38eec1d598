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
    CONFIG_NAME,
    EVENTS_NAME,
    SAMPLE_DIR,
    STOP_NAME,
)


@dataclass(frozen=True)
class RunSummary:
    """One run folder at a glance."""

    path: Path
    last_step: int | None
    status: str  # "running or interrupted", "finished", "stopped", "failed", "new"
    num_checkpoints: int
    modified: float


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


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and ((path / EVENTS_NAME).is_file() or (path / CONFIG_NAME).is_file())


def summarize_run(run_dir: str | Path) -> RunSummary:
    """Last step and how the run ended, from its events."""
    run_dir = Path(run_dir)
    events = read_events(run_dir)
    steps = [e.get("step") for e in events if e.get("type") == "step"]
    last_step = steps[-1] if steps and isinstance(steps[-1], int) else None
    final = next(
        (e.get("type") for e in reversed(events) if e.get("type") in ("end", "stopped", "error")), None
    )
    status = {"end": "finished", "stopped": "stopped", "error": "failed"}.get(
        str(final), "running or interrupted"
    )
    if not events:
        status = "new"
    events_file = run_dir / EVENTS_NAME
    modified = events_file.stat().st_mtime if events_file.is_file() else run_dir.stat().st_mtime
    checkpoints = [p for p in list_checkpoints(run_dir) if p.name != BEST_NAME]
    return RunSummary(run_dir, last_step, status, len(checkpoints), modified)


def list_runs(root: str | Path) -> list[RunSummary]:
    """Run folders directly under `root`, most recently active first."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [summarize_run(p) for p in root.iterdir() if is_run_dir(p)]
    return sorted(runs, key=lambda r: r.modified, reverse=True)

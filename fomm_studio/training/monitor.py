"""Live state of a run folder for the Train tab: loss and learning-rate series, checkpoints, latest sample,
how the run ended. Fed by tailing events.jsonl (only new bytes each poll; a partial last line waits)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fomm_studio.training.run_folders import EventTail
from trainer import run_folder as rf


@dataclass
class Series:
    """One curve: x = global step, y = value."""

    steps: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, step: int, value: float) -> None:
        self.steps.append(float(step))
        self.values.append(value)

    def truncate_after(self, step: int) -> None:
        keep = sum(1 for s in self.steps if s <= step)
        del self.steps[keep:], self.values[keep:]


@dataclass(frozen=True)
class CheckpointRow:
    """A checkpoint file on disk with what the events say about it."""

    path: Path
    step: int | None
    time: float
    best: bool

    @property
    def label(self) -> str:
        return "best" if self.path.name == rf.BEST_NAME else f"step {self.step}"


class RunMonitor:
    """Accumulates a run's events. `poll()` reads what was appended since the last call."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self._tail = EventTail(run_dir / rf.EVENTS_NAME)
        self.losses: dict[str, Series] = {}
        self.learning_rates: dict[str, Series] = {}
        self.last_step: int | None = None
        self.last_epoch: int | None = None
        self.max_steps: int | None = None
        self.outcome: str | None = None  # finished / stopped / failed, since the last start event
        self.error_message: str | None = None
        self.best_step: int | None = None
        self.checkpoint_info: dict[
            str, tuple[int | None, float, bool]
        ] = {}  # file name -> (step, time, best)
        self.dataset: dict[str, Any] | None = None

    def poll(self) -> bool:
        """Apply new events; True when anything changed."""
        events = self._tail.read_new()
        for event in events:
            self._apply(event)
        return bool(events)

    def forget_outcome(self) -> None:
        """Called when a new process starts: an earlier run's end no longer describes this one."""
        self.poll()
        self.outcome = self.error_message = None

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "step":
            self._apply_step(event)
        elif kind == "start":
            self.outcome = self.error_message = None
            self.max_steps = event.get("max_steps") if isinstance(event.get("max_steps"), int) else None
        elif kind == "resumed" and isinstance(event.get("step"), int):
            for series in (*self.losses.values(), *self.learning_rates.values()):
                series.truncate_after(event["step"])  # steps after the checkpoint are trained again
        elif kind == "checkpoint":
            self._apply_checkpoint(event)
        elif kind == "dataset":
            self.dataset = event
        elif kind in rf.OUTCOMES:
            self.outcome = rf.OUTCOMES[str(kind)]
            if kind == "error":
                self.error_message = str(event.get("message", "unknown error"))

    def _apply_step(self, event: dict[str, Any]) -> None:
        step = event.get("step")
        if not isinstance(step, int):
            return
        self.last_step = step
        self.last_epoch = event.get("epoch") if isinstance(event.get("epoch"), int) else self.last_epoch
        for target, values in ((self.losses, event.get("losses")), (self.learning_rates, event.get("lr"))):
            if isinstance(values, dict):
                for name, value in values.items():
                    number = _number(value)
                    if number is not None:
                        target.setdefault(str(name), Series()).add(step, number)

    def _apply_checkpoint(self, event: dict[str, Any]) -> None:
        step = event.get("step") if isinstance(event.get("step"), int) else None
        best = bool(event.get("best"))
        name = Path(str(event.get("path", ""))).name
        self.checkpoint_info[name] = (step, float(event.get("time", 0.0)), best)
        if best:
            self.best_step = step
            self.checkpoint_info[rf.BEST_NAME] = (step, float(event.get("time", 0.0)), True)

    def checkpoints(self) -> list[CheckpointRow]:
        """Checkpoint files that exist now (old step files are rotated away), newest step first, best last."""
        rows = []
        for path in rf.checkpoint_files(self.run_dir):
            step, when, _best = self.checkpoint_info.get(path.name, (rf.step_of(path), 0.0, False))
            when = when or _mtime(path)
            is_best = path.name == rf.BEST_NAME or (step is not None and step == self.best_step)
            rows.append(CheckpointRow(path, step, when, is_best))
        steps = sorted(
            (r for r in rows if r.path.name != rf.BEST_NAME), key=lambda r: r.step or 0, reverse=True
        )
        return steps + [r for r in rows if r.path.name == rf.BEST_NAME]

    def latest_sample(self) -> Path | None:
        samples = rf.sample_files(self.run_dir)
        return samples[-1] if samples else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # "nan"/"inf" are written as text; they are not plotted
    return float(value) if math.isfinite(value) else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0

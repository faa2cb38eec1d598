"""The run folder a training process writes (rank 0 only) and a GUI reads: its layout and what its
events mean, in one place.

R/config.yaml                       config as used (overrides applied, backend recorded)
R/events.jsonl                      one JSON object per line: start, dataset, resumed, warm_start, step,
                                    checkpoint, sample, warning, error, stopped, end
R/samples/step-XXXXXXXX.png         source | driving | driving + keypoints | prediction | occlusion
R/checkpoints/step-XXXXXXXX.pth.tar original layout + 'studio' metadata; last 3 kept
R/checkpoints/best.pth.tar          lowest mean reconstruction loss over recent steps
R/STOP                              written by the user/GUI: save a checkpoint and exit
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CONFIG_NAME = "config.yaml"
EVENTS_NAME = "events.jsonl"
STOP_NAME = "STOP"
CHECKPOINT_DIR = "checkpoints"
SAMPLE_DIR = "samples"
BEST_NAME = "best.pth.tar"
KEEP_LAST = 3
# The events that end a run, and what each says about how it ended.
OUTCOMES = {"end": "finished", "stopped": "stopped", "error": "failed"}


def checkpoint_name(step: int) -> str:
    """Zero-padded so names sort by step."""
    return f"step-{step:08d}.pth.tar"


def sample_name(step: int) -> str:
    """Zero-padded so names sort by step."""
    return f"step-{step:08d}.png"


def step_of(path: Path) -> int | None:
    """The step in a checkpoint's or sample's file name; None for best.pth.tar and other names."""
    digits = path.name.removeprefix("step-").split(".")[0]
    return int(digits) if path.name.startswith("step-") and digits.isdigit() else None


def step_checkpoints(run_dir: Path) -> list[Path]:
    """Step checkpoints, oldest first (zero-padded names sort by step)."""
    folder = run_dir / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("step-*.pth.tar") if p.is_file())


def checkpoint_files(run_dir: Path) -> list[Path]:
    """Step checkpoints oldest first, then best.pth.tar if present."""
    best = run_dir / CHECKPOINT_DIR / BEST_NAME
    return step_checkpoints(run_dir) + ([best] if best.is_file() else [])


def sample_files(run_dir: Path) -> list[Path]:
    """Sample reconstruction PNGs, oldest first."""
    folder = run_dir / SAMPLE_DIR
    return sorted(folder.glob("step-*.png")) if folder.is_dir() else []


def has_step_events(run_dir: Path) -> bool:
    """Whether a run already trained in this folder (events.jsonl holds a step event)."""
    path = run_dir / EVENTS_NAME
    if not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        return any('"type": "step"' in line for line in handle)


def events(run_dir: Path) -> Iterator[dict[str, Any]]:
    """The events of the run's log in order, none when it has no log; torn or foreign lines (a last
    line still being written, text that is not an event) are skipped."""
    path = run_dir / EVENTS_NAME
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


def start_event(run_dir: Path) -> dict[str, Any] | None:
    """The run's first `start` event (what it was begun with), None when the log has none."""
    return next((event for event in events(run_dir) if event.get("type") == "start"), None)


def holds_run(run_dir: Path) -> bool:
    """Whether the folder already holds a run (a checkpoint or a logged step): only --resume may use it."""
    return bool(step_checkpoints(run_dir)) or has_step_events(run_dir)


def clear_leftovers(run_dir: Path) -> None:
    """Remove a stale STOP request and the temp files of checkpoint writes a kill interrupted."""
    (run_dir / STOP_NAME).unlink(missing_ok=True)
    for partial in (run_dir / CHECKPOINT_DIR).glob(".*.tmp"):
        partial.unlink(missing_ok=True)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf; keep it visible as text
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


class EventLog:
    """Appends one JSON object per line to events.jsonl.

    A log grows line by line, so it is appended (one `write` per line, flushed) rather than rewritten
    atomically; readers must tolerate a partial last line.
    """

    def __init__(self, path: Path, enabled: bool = True):
        self.path = path
        self.enabled = enabled
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event_type: str, **fields: Any) -> None:
        if not self.enabled:
            return
        record = {"type": event_type, "time": round(time.time(), 3), **_json_safe(fields)}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

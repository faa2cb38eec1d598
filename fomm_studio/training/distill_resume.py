"""What Resume continues in the Train tab's Distil mode: the run's own teacher, data, avatars and
student kind, read from its first `start` event, so that resuming needs only the run folder (the
form may since show another distillation, or nothing after a restart of the app)."""

from __future__ import annotations

from pathlib import Path

from fomm_studio.training.launch import DistillRequest, LaunchError
from trainer import run_folder as rf


def resumed_distill_request(run_dir: Path, device: str, max_steps: int | None) -> DistillRequest:
    """The distillation `run_dir` holds, to resume with --resume (its student config is its own)."""
    start = rf.start_event(run_dir)
    events = run_dir / rf.EVENTS_NAME
    if start is None:
        raise LaunchError(f"{events}: no start event; this folder holds no run to resume")
    missing = [key for key in ("teacher", "teacher_config", "data", "student_kind") if not start.get(key)]
    if missing:
        raise LaunchError(
            f"{events}: the run's start event names no {', '.join(missing)}; it is not a distillation run"
        )
    return DistillRequest(
        teacher_checkpoint=Path(start["teacher"]),
        teacher_config=Path(start["teacher_config"]),
        student_config=run_dir / rf.CONFIG_NAME,
        data_dir=Path(start["data"]),
        run_dir=run_dir,
        student_kind=str(start["student_kind"]),
        avatars=tuple(Path(p) for p in start.get("avatars") or ()),
        resume=True,
        device=device,
        max_steps=max_steps,
    )

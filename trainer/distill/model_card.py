"""MODEL_CARD.md of a distilled student: where it came from and what it was measured to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainer import run_folder as rf
from trainer.distill.options import DistillOptions
from trainer.video_cache import DatasetReport


def training_facts(run_dir: Path) -> tuple[int, float]:
    """(steps logged, seconds spent in steps) from the run's events.jsonl (a partial last line skipped)."""
    steps, seconds = 0, 0.0
    for event in rf.events(run_dir):
        if event.get("type") == "step":
            steps = max(steps, int(event.get("step", 0)))
            seconds += float(event.get("step_time", 0.0))
    return steps, seconds


def model_card(
    options: DistillOptions, result: dict[str, Any], report: DatasetReport, checkpoint: Path
) -> str:
    """Markdown: teacher, data, training, fidelity to the teacher, speed."""
    steps, seconds = training_facts(options.train.run_dir)
    start = result.get("start_vs_teacher_l1")
    lines = [
        "# Distilled FOMM student",
        "",
        f"- Checkpoint: `{checkpoint}` with `{options.train.run_dir / rf.CONFIG_NAME}` (original layout; "
        "loads in `fomm animate`, the model picker and the Live tab like any model).",
        f"- Teacher: `{options.teacher}` (config `{options.teacher_config}`).",
        f"- Student: `{options.student_kind}` kind, config `{options.train.config_path or 'the run’s own'}`"
        + (f", started from `{options.train.init_from}`" if options.train.init_from else ", fresh weights")
        + ".",
        f"- Data: `{options.train.data}`: {len(report.train)} training videos, {len(report.test)} held out; "
        f"avatars: {', '.join(str(p) for p in options.avatars) or 'none (frames of other videos as sources)'}.",
        f"- Training: {steps} steps at learning rate {options.lr:g}, {seconds / 60:.1f} min of steps on "
        f"`{options.train.device}`.",
        "",
        "## Fidelity to the teacher (held-out frames, live setting)",
        "",
        f"{result['frames']} frames of {', '.join(result['held_out_videos'])}, animated from each of "
        f"{result.get('sources', 1)} sources with motion relative to each video's first frame (mean).",
        "",
        "| model | L1 to the teacher | PSNR to the teacher |",
        "|---|---|---|",
        f"| student | {result['student_vs_teacher_l1']:.4f} | {result['student_vs_teacher_psnr']:.2f} dB |",
    ]
    if start is not None:
        lines.append(f"| start of the run | {start:.4f} | {result['start_vs_teacher_psnr']:.2f} dB |")
    lines += [
        "",
        "## Speed (one live frame, this machine)",
        "",
        f"- student: {result['student_ms']:.1f} ms ({result['student_gflop']:.2f} GFLOP)",
        f"- teacher: {result['teacher_ms']:.1f} ms ({result['teacher_gflop']:.2f} GFLOP)",
        "",
        "These numbers say how closely the student copies this teacher on these frames, not how good the "
        "teacher is: with a teacher that has never seen faces like yours the student copies its mistakes.",
        "",
    ]
    return "\n".join(lines)

"""What a distillation run is given: `fomm train`'s options for the student's run folder plus the
teacher, the student kind, the avatars and the sizes of the teacher cache and the evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trainer.options import TrainOptions

STUDENT_KINDS = ("hybrid", "full")
# hybrid: the teacher's keypoint detector, frozen, inside the student (real-face keypoints at the
# detector's cost); full: the student's own detector, taught the teacher's keypoints too.
DEFAULT_STUDENT_KIND = "hybrid"
# The student's learning rate unless --lr says otherwise. Distillation regresses fixed targets (no
# discriminator, no equivariance under random warps), which takes 5x the self-supervised 2e-4: on the
# synthetic benchmark (benchmarks/bench_distill_vs_train.py) a micro student after 300 steps was 0.141 L1
# from its teacher at 2e-4, 0.089 at 1e-3 and 0.095 at 3e-3.
DISTILL_LR = 1e-3


@dataclass(frozen=True)
class DistillOptions:
    """`train` holds the student's side exactly as `fomm train` takes it (config_path is the student's
    config, data the driving videos, run_dir the run folder); the rest is distillation's own."""

    train: TrainOptions
    teacher: Path
    teacher_config: Path
    student_kind: str = DEFAULT_STUDENT_KIND
    avatars: tuple[Path, ...] = ()
    max_pairs: int = 1000  # teacher outputs cached: each costs one teacher frame once
    eval_frames: int = 32  # held-out frames the evaluation compares
    eval_sources: int = 4  # sources each held-out frame is animated from (scores averaged)
    evaluate_only: bool = False
    lr: float = DISTILL_LR  # the student's networks (a hybrid's detector stays frozen)

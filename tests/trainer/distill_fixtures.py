"""Tiny teacher and students for the distillation tests: the tiny-64 config with random weights as the
teacher, narrower copies of it as students."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
import yaml

from engine import build_models, load_config, save_checkpoint
from tests.conftest import TINY_CONFIG
from trainer.distill.options import DistillOptions
from trainer.options import TrainOptions


def write_config(path: Path, change: dict[str, Any]) -> Path:
    """tiny-64.yaml with dotted keys changed (e.g. {'model_params.common_params.num_kp': 4})."""
    raw = yaml.safe_load(TINY_CONFIG.read_text())
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        node = raw
        for key in parents:
            node = node[key]
        node[last] = copy.deepcopy(value)
    path.write_text(yaml.safe_dump(raw))
    return path


NARROW = {
    "model_params.generator_params.block_expansion": 4,
    "model_params.generator_params.dense_motion_params.block_expansion": 4,
    "model_params.generator_params.dense_motion_params.scale_factor": 0.25,
    "model_params.kp_detector_params.block_expansion": 4,
}


def make_teacher(folder: Path) -> Path:
    """folder/teacher.pth.tar: a checkpoint of the tiny config with random weights (seed 0)."""
    torch.manual_seed(0)
    models = build_models(load_config(TINY_CONFIG))
    path = folder / "teacher.pth.tar"
    save_checkpoint(
        path, {"generator": models.generator.state_dict(), "kp_detector": models.kp_detector.state_dict()}
    )
    return path


def make_student(folder: Path) -> Path:
    """folder/student.yaml: half the tiny config's widths, its dense motion at a quarter of the frame
    (the teacher's: half)."""
    return write_config(folder / "student.yaml", NARROW)


def distill_options(
    teacher: Path, student: Path, data: Path, cache: Path, run_dir: Path, **changes: Any
) -> DistillOptions:
    """Small, quiet CPU options; `changes` go to DistillOptions or, when they are its fields, TrainOptions."""
    train_fields = set(TrainOptions.__dataclass_fields__)
    train: dict[str, Any] = dict(
        config_path=student,
        data=data,
        run_dir=run_dir,
        cache_dir=cache,
        device="cpu",
        perceptual_backend="pyramid_l1_ssim",
        progress=False,
        sample_every=1000,
        checkpoint_every=1000,
        batch_size=2,
        num_workers=0,
        max_steps=4,
    )
    train.update({k: v for k, v in changes.items() if k in train_fields})
    own = {k: v for k, v in changes.items() if k not in train_fields}
    own.setdefault("eval_frames", 6)
    return DistillOptions(train=TrainOptions(**train), teacher=teacher, teacher_config=TINY_CONFIG, **own)

"""The teacher and student configs of a distillation run, and the refusals that come before any work:
a teacher checkpoint that does not fit its config, a student that cannot take the teacher's
keypoints (hybrid), frames of another size."""

from __future__ import annotations

import dataclasses

from engine.config import FommConfig, load_config
from engine.errors import CheckpointMismatchError, ConfigError, FommError
from engine.models import check_fits
from trainer import run_folder as rf
from trainer.distill.options import DistillOptions
from trainer.run_setup import resolve_config

# What the teacher's keypoints fix in a hybrid student: its dense motion network takes exactly these.
KEYPOINT_FIELDS = ("num_kp", "num_channels", "estimate_jacobian")


def teacher_config(options: DistillOptions) -> FommConfig:
    """The teacher's config, its checkpoint checked to fit it (on the meta device: no weights built)."""
    try:
        return check_fits(options.teacher_config, options.teacher)
    except CheckpointMismatchError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointMismatchError(
            f"teacher {options.teacher} does not fit its config {options.teacher_config}: {first}",
            exc.missing,
            exc.unexpected,
            exc.mis_shaped,
        ) from None


def student_config(options: DistillOptions, teacher: FommConfig) -> FommConfig:
    """The student's config as the run uses and saves it.

    No discriminator (the teacher is the target); the learning rates are the run's --lr. Hybrid: the
    teacher's keypoint detector section, its learning rate 0 (frozen); the student's common_params must
    already match the teacher's.
    """
    config = resolve_config(options.train)
    source = options.train.config_path or options.train.run_dir / "config.yaml"
    if config.frame_size != teacher.frame_size:
        raise ConfigError(
            f"{source}: frame size {config.frame_size} differs from the teacher's {teacher.frame_size}; "
            "the student must animate frames of the teacher's size"
        )
    mp = config.model_params
    tp = dataclasses.replace(config.train_params, lr_generator=options.lr, lr_kp_detector=options.lr)
    if options.student_kind == "hybrid":
        check_takes_teacher_keypoints(config, teacher, str(source))
        mp = dataclasses.replace(mp, kp_detector_params=teacher.model_params.kp_detector_params)
        tp = dataclasses.replace(tp, lr_kp_detector=0.0)
    weights = dataclasses.replace(tp.loss_weights, generator_gan=0.0)
    return dataclasses.replace(
        config, model_params=mp, train_params=dataclasses.replace(tp, loss_weights=weights)
    )


def check_takes_teacher_keypoints(config: FommConfig, teacher: FommConfig, source: str) -> None:
    """A hybrid student's generator is driven by the teacher's keypoints: their number and kind must match."""
    own, theirs = config.model_params.common_params, teacher.model_params.common_params
    for name in KEYPOINT_FIELDS:
        if getattr(own, name) != getattr(theirs, name):
            raise ConfigError(
                f"{source}: 'model_params.common_params.{name}' is {getattr(own, name)!r} but the teacher's "
                f"is {getattr(theirs, name)!r}; a hybrid student takes the teacher's keypoints, so it "
                "must match (or use --student-kind full)"
            )
    if config.model_params.generator_params.dense_motion_params is None:
        raise ConfigError(f"{source}: a student needs 'model_params.generator_params.dense_motion_params'")


def load_teacher_config(options: DistillOptions) -> FommConfig:
    """The teacher's config alone (for --evaluate-only, where the checkpoint is loaded anyway)."""
    return load_config(options.teacher_config)


def check_resumed_kind(options: DistillOptions) -> None:
    """A resumed run keeps its student kind: its first `start` event names the kind it began with."""
    if not options.train.resume:
        return
    start = rf.start_event(options.train.run_dir)
    began = start.get("student_kind") if start is not None else None
    if began is not None and began != options.student_kind:
        raise FommError(
            f"{options.train.run_dir}: this run distils a {began} student; resume it with "
            f"--student-kind {began}"
        )

"""Where a full student's distance to its teacher comes from: its keypoints, or its dense motion and
generator. Used by bench_distill_vs_train.py --diagnose.

On every held-out frame, in the live setting (motion relative to the video's first frame), from every
source: how far the teacher's driving keypoints are from its source keypoints (how much the keypoints
move), how far the student's are from the teacher's, and the student driven by the *teacher's*
keypoints instead of its own: its deformation's distance to the teacher's and its L1 to the teacher's
frame. The last is what a perfect keypoint detector would give this student.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.models import FommModels
from engine.motion import KeypointDict
from trainer.distill.evaluate import live_keypoints
from trainer.distill.objective import resample_field
from trainer.distill.teacher_cache import frames_to_tensor

PIXELS_PER_UNIT = 128.0  # keypoints and deformations span [-1, 1] over a 256-pixel frame


@dataclass(frozen=True)
class KeypointDiagnosis:
    """Means over sources and held-out frames; distances in pixels at 256."""

    teacher_keypoint_motion_px: float
    student_keypoint_error_px: float
    given_teacher_keypoints_motion_error_px: float
    given_teacher_keypoints_l1: float


def _live_keypoints(
    models: FommModels, source: torch.Tensor, initial: torch.Tensor, driving: torch.Tensor
) -> tuple[KeypointDict, KeypointDict]:
    """trainer.distill.evaluate.live_keypoints from the source and calibration frames themselves."""
    return live_keypoints(models, models.kp_detector(source), models.kp_detector(initial), driving)


@torch.inference_mode()
def diagnose_keypoints(
    student: FommModels,
    teacher: FommModels,
    sources: list[np.ndarray],
    held_out: list[tuple[np.ndarray, np.ndarray]],
) -> KeypointDiagnosis:
    """The figures above for a student with as many keypoints as its teacher (both on the CPU)."""
    figures: dict[str, list[float]] = {name: [] for name in KeypointDiagnosis.__dataclass_fields__}
    for source_frame in sources:
        source = frames_to_tensor(source_frame[None], "cpu")
        for initial_frame, frames in held_out:
            initial, driving = frames_to_tensor(initial_frame[None], "cpu"), frames_to_tensor(frames, "cpu")
            images = source.expand(driving.shape[0], -1, -1, -1)
            teacher_source, teacher_driving = _live_keypoints(teacher, source, initial, driving)
            _, student_driving = _live_keypoints(student, source, initial, driving)
            target = teacher.generator(
                images, kp_driving=teacher_driving, kp_source=teacher_source, with_deformed=False
            )
            given = student.generator(
                images, kp_driving=teacher_driving, kp_source=teacher_source, with_deformed=False
            )
            size = (int(target["deformation"].shape[1]), int(target["deformation"].shape[2]))
            field = resample_field(given["deformation"], size)

            def px(a: torch.Tensor, b: torch.Tensor) -> float:
                return float((a - b).norm(dim=-1).mean()) * PIXELS_PER_UNIT

            figures["teacher_keypoint_motion_px"].append(
                px(teacher_driving["value"], teacher_source["value"])
            )
            figures["student_keypoint_error_px"].append(
                px(student_driving["value"], teacher_driving["value"])
            )
            figures["given_teacher_keypoints_motion_error_px"].append(px(field, target["deformation"]))
            l1 = (given["prediction"].clamp(0, 1) - target["prediction"].clamp(0, 1)).abs().mean()
            figures["given_teacher_keypoints_l1"].append(float(l1))
    return KeypointDiagnosis(**{name: float(np.mean(values)) for name, values in figures.items()})

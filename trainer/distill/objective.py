"""What the student is taught: the teacher's prediction (pyramid L1 + SSIM, plus VGG-19 perceptual
when its weights are there), deformation field and occlusion map (L1, resampled to the student's
resolution), and for a full student with as many keypoints, the teacher's keypoints."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.config import FommConfig
from engine.generator import OcclusionAwareGenerator
from engine.keypoint_detector import KPDetector
from engine.motion import KeypointDict, transfer_keypoints
from trainer.distill.teacher_cache import LIVE_MOTION
from trainer.losses import ImagePyramid, l1_ssim_loss, perceptual_loss
from trainer.vgg import Vgg19

# Weights of the dense terms next to the prediction's (10 per scale of L1 + 1 - SSIM): a deformation
# is in [-1, 1] image units, so an error of a pixel at 256 is ~0.008; the occlusion map is in [0, 1].
DEFORMATION_WEIGHT = 100.0
OCCLUSION_WEIGHT = 10.0
KEYPOINT_WEIGHT = 10.0
PREDICTION_TERM = "distill_prediction"  # picks best.pth.tar


def resample_field(field: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A deformation at another resolution. Shapes: (B, h, w, 2) -> (B, H, W, 2)."""
    if field.shape[1:3] == size:
        return field
    return F.interpolate(field.permute(0, 3, 1, 2), size=size, mode="bilinear").permute(0, 2, 3, 1)


def resample_map(occlusion: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """An occlusion map at another resolution. Shapes: (B, 1, h, w) -> (B, 1, H, W)."""
    return occlusion if occlusion.shape[2:] == size else F.interpolate(occlusion, size=size, mode="bilinear")


def batch_keypoints(batch: dict[str, torch.Tensor], prefix: str) -> KeypointDict:
    """{'value': (B, K, 2), 'jacobian'?: (B, K, 2, 2)} of the batch's `prefix`_* entries."""
    return {k[len(prefix) + 1 :]: v for k, v in batch.items() if k.startswith(prefix + "_")}


class DistillStep(nn.Module):
    """batch -> (loss terms, the student's outputs). Holds the student's networks (the step module of
    the shared training loop). Hybrid: driven by the teacher's cached keypoints; full: by its own."""

    def __init__(
        self,
        kp_detector: KPDetector,
        generator: OcclusionAwareGenerator,
        config: FommConfig,
        kind: str,
        vgg: Vgg19 | None,
    ):
        super().__init__()
        self.kp_detector = kp_detector
        self.generator = generator
        self.kind = kind
        self.pyramid = ImagePyramid(
            config.train_params.scales, config.model_params.common_params.num_channels
        )
        self.weights = config.train_params.loss_weights.perceptual
        self.vgg = vgg

    def student_motion(
        self, batch: dict[str, torch.Tensor]
    ) -> tuple[KeypointDict, KeypointDict, KeypointDict]:
        """(kp_source, kp_driving, kp_driving relative to the calibration frame): what drives the
        student's generator, with the absolute driving keypoints the full student is taught."""
        if self.kind == "hybrid":
            teacher_driving = batch_keypoints(batch, "kp_driving")
            return batch_keypoints(batch, "kp_source"), teacher_driving, batch_keypoints(batch, "kp_norm")
        kp_source = self.kp_detector(batch["source"])
        kp_driving = self.kp_detector(batch["driving"])
        kp_initial = self.kp_detector(batch["initial"])
        return kp_source, kp_driving, transfer_keypoints(kp_source, kp_driving, kp_initial, LIVE_MOTION)

    def forward(
        self, batch: dict[str, torch.Tensor]
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Shapes: batch images (B, 3, H, W) in [0, 1], targets as `teacher_cache.compute_targets`."""
        kp_source, kp_driving, kp_norm = self.student_motion(batch)
        out = self.generator(batch["source"], kp_driving=kp_norm, kp_source=kp_source, with_deformed=False)
        pyramid_teacher = self.pyramid(batch["prediction"])
        pyramid_student = self.pyramid(out["prediction"])
        losses = {PREDICTION_TERM: l1_ssim_loss(pyramid_teacher, pyramid_student, self.weights)}
        if self.vgg is not None:
            losses["perceptual"] = perceptual_loss(self.vgg, pyramid_teacher, pyramid_student, self.weights)
        if "deformation" in out and "deformation" in batch:
            target = resample_field(batch["deformation"], tuple(out["deformation"].shape[1:3]))
            losses["distill_deformation"] = DEFORMATION_WEIGHT * (out["deformation"] - target).abs().mean()
        if "occlusion_map" in out and "occlusion" in batch:
            target = resample_map(batch["occlusion"], tuple(out["occlusion_map"].shape[2:]))
            losses["distill_occlusion"] = OCCLUSION_WEIGHT * (out["occlusion_map"] - target).abs().mean()
        if self.kind == "full":
            losses.update(self._keypoint_loss(kp_source, kp_driving, batch))
        return losses, out

    def _keypoint_loss(
        self, kp_source: KeypointDict, kp_driving: KeypointDict, batch: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """L1 to the teacher's keypoints (values and Jacobians) of source and driving frames, when the
        student has as many keypoints (otherwise they cannot correspond one to one)."""
        teacher_source = batch_keypoints(batch, "kp_source")
        if teacher_source["value"].shape != kp_source["value"].shape:
            return {}
        teacher_driving = batch_keypoints(batch, "kp_driving")
        total = kp_source["value"].new_zeros(())
        for own, theirs in ((kp_source, teacher_source), (kp_driving, teacher_driving)):
            for name in own.keys() & theirs.keys():
                total = total + (own[name] - theirs[name]).abs().mean()
        return {"distill_keypoints": KEYPOINT_WEIGHT * total}

"""Keypoint algebra of the first order motion model: sparse motions (Eq. 4) and motion transfer
between a source image and a driving video (Sec. 3.4, Eq. 10-11)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.geometry import make_coordinate_grid

KeypointDict = dict[str, torch.Tensor]


@dataclass(frozen=True)
class MotionOptions:
    """How driving motion is transferred: relative (Eq. 10-11) or absolute."""

    relative: bool = True
    adapt_movement_scale: bool = False  # as the original demo: the hull-area ratio can exaggerate motion
    relative_jacobian: bool = True


ABSOLUTE = MotionOptions(relative=False, adapt_movement_scale=False, relative_jacobian=False)


def inverse_2x2(matrix: torch.Tensor) -> torch.Tensor:
    """Closed-form inverse of 2x2 matrices, in float32 whatever the input precision.

    [[a, b], [c, d]]^-1 = [[d, -b], [-c, a]] / (ad - bc). Unlike `torch.inverse` it runs in any dtype
    (fp16 Jacobians under autocast), needs no host synchronisation and can be captured in a CUDA graph.
    Shapes: (..., 2, 2) -> (..., 2, 2), float32 (float64 stays float64).
    """
    m = _at_least_float32(matrix)
    a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    det = (a * d - b * c).unsqueeze(-1).unsqueeze(-1)
    adjugate = torch.stack([torch.stack([d, -b], dim=-1), torch.stack([-c, a], dim=-1)], dim=-2)
    return adjugate / det


def _at_least_float32(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16) else tensor


def as_float32(kp: KeypointDict) -> KeypointDict:
    """Keypoint algebra runs in float32 (float64 stays): reduced-precision Jacobians lose the small
    relative motions, and the temperature-0.1 softmax behind the keypoints amplifies fp16 rounding."""
    return {name: _at_least_float32(tensor) for name, tensor in kp.items()}


def sparse_motions(
    height: int, width: int, kp_source: KeypointDict, kp_driving: KeypointDict
) -> torch.Tensor:
    """Backward flows D->S near each keypoint plus an identity flow for the background (Eq. 4).

    T_k(z) = p_k^S + J_k (z - p_k^D) with J_k = J_S,k J_D,k^-1 when Jacobians are present.
    Shapes: kp values (B, K, 2), jacobians (B, K, 2, 2) -> (B, K+1, H, W, 2); index 0 is identity.
    """
    kp_source, kp_driving = as_float32(kp_source), as_float32(kp_driving)
    value_d = kp_driving["value"]
    b, k = value_d.shape[:2]
    identity = make_coordinate_grid(height, width, value_d.dtype, value_d.device).view(1, 1, height, width, 2)
    coordinates = identity - value_d.view(b, k, 1, 1, 2)  # z - p_k^D
    if "jacobian" in kp_driving:
        jacobian = torch.matmul(kp_source["jacobian"], inverse_2x2(kp_driving["jacobian"]))  # (B, K, 2, 2)
        coordinates = torch.einsum("bkij,bkhwj->bkhwi", jacobian, coordinates)
    driving_to_source = coordinates + kp_source["value"].view(b, k, 1, 1, 2)
    return torch.cat([identity.expand(b, 1, height, width, 2), driving_to_source], dim=1)


def convex_hull_area(points: np.ndarray) -> float:
    """Area of the convex hull of 2-D points (Andrew's monotone chain + shoelace).

    Shapes: points (N, 2). Fewer than 3 distinct non-collinear points give 0.
    """
    pts = sorted({(float(x), float(y)) for x, y in points})
    if len(pts) < 3:
        return 0.0

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def half(seq: list[tuple[float, float]]) -> list[tuple[float, float]]:
        hull: list[tuple[float, float]] = []
        for p in seq:
            while len(hull) >= 2 and cross(hull[-2], hull[-1], p) <= 0:
                hull.pop()
            hull.append(p)
        return hull

    hull = half(pts)[:-1] + half(pts[::-1])[:-1]
    area = 0.0
    for (x1, y1), (x2, y2) in zip(hull, hull[1:] + hull[:1], strict=True):
        area += x1 * y2 - x2 * y1
    return abs(area) / 2.0


def movement_scale(kp_source: KeypointDict, kp_driving_initial: KeypointDict) -> torch.Tensor:
    """sqrt(area(hull(source kps)) / area(hull(initial driving kps))), one value per batch item.

    Shapes: values (B, K, 2) -> (B, 1, 1). A degenerate driving hull gives scale 1.
    """
    src = kp_source["value"].detach().float().cpu().numpy()
    drv = kp_driving_initial["value"].detach().float().cpu().numpy()
    scales = []
    for s, d in zip(src, drv, strict=True):
        driving_area = convex_hull_area(d)
        scales.append(np.sqrt(convex_hull_area(s)) / np.sqrt(driving_area) if driving_area > 0 else 1.0)
    value = kp_source["value"]
    return torch.tensor(scales, dtype=value.dtype, device=value.device).view(-1, 1, 1)


def normalize_kp(
    kp_source: KeypointDict,
    kp_driving: KeypointDict,
    kp_driving_initial: KeypointDict,
    options: MotionOptions = ABSOLUTE,
) -> KeypointDict:
    """Driving keypoints expressed for the source image (Sec. 3.4).

    Relative motion (Eq. 10): p_S + s (p_D,t - p_D,1), where s is `movement_scale` when
    `options.adapt_movement_scale`, else 1. Relative Jacobians (Eq. 11): J_D,t J_D,1^-1 J_S.
    With everything off (`ABSOLUTE`, the default), the driving keypoints are returned unchanged.
    Shapes: values (B, K, 2), jacobians (B, K, 2, 2); same shapes out.
    """
    scale: torch.Tensor | float = 1.0
    if options.relative and options.adapt_movement_scale:
        scale = movement_scale(kp_source, kp_driving_initial)
    return transfer_keypoints(kp_source, kp_driving, kp_driving_initial, options, scale)


def transfer_keypoints(
    kp_source: KeypointDict,
    kp_driving: KeypointDict,
    kp_driving_initial: KeypointDict,
    options: MotionOptions,
    scale: torch.Tensor | float = 1.0,
) -> KeypointDict:
    """`normalize_kp` with the movement scale given: a live session computes the scale once per
    calibration (it depends only on the source and the initial frame), so no frame waits for the host.
    Float32 out. Shapes as `normalize_kp`."""
    kp_new = as_float32(kp_driving)
    if not options.relative:
        return kp_new
    kp_source, kp_driving_initial = as_float32(kp_source), as_float32(kp_driving_initial)
    kp_new["value"] = (kp_new["value"] - kp_driving_initial["value"]) * scale + kp_source["value"]
    if options.relative_jacobian and "jacobian" in kp_new:
        jacobian_diff = torch.matmul(kp_new["jacobian"], inverse_2x2(kp_driving_initial["jacobian"]))
        kp_new["jacobian"] = torch.matmul(jacobian_diff, kp_source["jacobian"])
    return kp_new

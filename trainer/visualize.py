"""Keypoints drawn on images, and the sample reconstruction strips written during training:
source | driving | driving with keypoints | prediction | occlusion map, side by side.

Keypoints come in [-1, 1] (x, y) order; pixel (0, 0) is -1 and pixel (S-1, S-1) is +1. Keypoint k
always has colour k of `palette`, in the training samples as in the app's live overlays.
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np
import torch

from engine.imaging import tensor_to_image

# Hand-picked distinct colours (RGB) for the first keypoints; more are spread around the hue circle.
_BASE_PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (220, 190, 255),
    (170, 110, 40),
    (255, 250, 200),
    (128, 0, 0),
)


def palette(count: int) -> list[tuple[int, int, int]]:
    """`count` RGB colours; keypoint k always gets colour k."""
    colors = list(_BASE_PALETTE[:count])
    extra = count - len(colors)
    for i in range(extra):
        r, g, b = colorsys.hsv_to_rgb((i + 0.5) / extra, 0.8, 1.0)
        colors.append((int(r * 255), int(g * 255), int(b * 255)))
    return colors


def kp_to_pixels(value: np.ndarray, size: int) -> np.ndarray:
    """Keypoints in [-1, 1] -> pixel coordinates of a (size, size) image. Shapes: (K, 2) -> (K, 2)."""
    return (np.asarray(value, dtype=np.float64) + 1.0) * 0.5 * (size - 1)


def draw_keypoints(
    image: np.ndarray, value: np.ndarray, jacobian: np.ndarray | None = None, axis_length: float = 0.12
) -> np.ndarray:
    """Dots for the keypoints and, when given, each Jacobian's two column vectors as axes.

    Shapes: image (S, S, 3) uint8, value (K, 2), jacobian (K, 2, 2). `axis_length` is in [-1, 1] units.
    """
    out = np.ascontiguousarray(image.copy())
    size = out.shape[0]
    points = kp_to_pixels(value, size)
    radius = max(2, size // 90)
    thickness = max(1, size // 200)
    scale = axis_length * 0.5 * (size - 1)
    for k, (color, (x, y)) in enumerate(zip(palette(len(points)), points, strict=True)):
        center = (round(float(x)), round(float(y)))
        if jacobian is not None:
            for axis in range(2):
                dx, dy = jacobian[k][:, axis] * scale
                tip = (round(float(x + dx)), round(float(y + dy)))
                cv2.arrowedLine(out, center, tip, color, thickness, cv2.LINE_AA, tipLength=0.25)
        cv2.circle(out, center, radius + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(out, center, radius, color, -1, cv2.LINE_AA)
    return out


def sample_strip(
    source: torch.Tensor, driving: torch.Tensor, generated: dict[str, torch.Tensor]
) -> np.ndarray:
    """First item of a batch as one RGB strip. Shapes: (B, 3, H, W) tensors -> (H, 5 W, 3) uint8."""
    src = tensor_to_image(source[:1])
    drv = tensor_to_image(driving[:1])
    h, w = drv.shape[:2]
    kp = generated["kp_driving"][0].detach().float().cpu().numpy()
    panels = [src, drv, draw_keypoints(drv, kp), tensor_to_image(generated["prediction"][:1])]
    if "occlusion_map" in generated:
        occlusion = tensor_to_image(generated["occlusion_map"][:1].repeat(1, 3, 1, 1))
        panels.append(cv2.resize(occlusion, (w, h), interpolation=cv2.INTER_NEAREST))
    return np.concatenate(panels, axis=1)

"""Sample reconstruction strips written during training:
source | driving | driving with keypoints | prediction | occlusion map, side by side."""

from __future__ import annotations

import colorsys
from pathlib import Path

import cv2
import numpy as np
import torch

from engine.atomic import atomic_write_bytes
from engine.imaging import tensor_to_image


def keypoint_colors(num_kp: int) -> list[tuple[int, int, int]]:
    """Distinct RGB colours around the hue circle (like the gist_rainbow map of the original)."""
    return [
        tuple(int(255 * c) for c in colorsys.hsv_to_rgb(i / max(1, num_kp), 1.0, 1.0))  # type: ignore[misc]
        for i in range(num_kp)
    ]


def draw_keypoints(image: np.ndarray, kp_value: np.ndarray, radius: int = 2) -> np.ndarray:
    """Dots at keypoints given in [-1, 1] (x, y). Shapes: (H, W, 3) uint8, (K, 2) -> (H, W, 3)."""
    out = image.copy()
    h, w = out.shape[:2]
    for (x, y), color in zip(kp_value, keypoint_colors(len(kp_value)), strict=True):
        centre = (round(float(x + 1) / 2 * (w - 1)), round(float(y + 1) / 2 * (h - 1)))
        cv2.circle(out, centre, radius, color, thickness=-1, lineType=cv2.LINE_AA)
    return out


def sample_strip(
    source: torch.Tensor, driving: torch.Tensor, generated: dict[str, torch.Tensor], kp_radius: int = 2
) -> np.ndarray:
    """First item of a batch as one RGB strip. Shapes: (B, 3, H, W) tensors -> (H, 5 W, 3) uint8."""
    src = tensor_to_image(source[:1])
    drv = tensor_to_image(driving[:1])
    h, w = drv.shape[:2]
    kp = generated["kp_driving"][0].detach().float().cpu().numpy()
    panels = [src, drv, draw_keypoints(drv, kp, kp_radius), tensor_to_image(generated["prediction"][:1])]
    if "occlusion_map" in generated:
        occlusion = tensor_to_image(generated["occlusion_map"][:1].repeat(1, 3, 1, 1))
        panels.append(cv2.resize(occlusion, (w, h), interpolation=cv2.INTER_NEAREST))
    return np.concatenate(panels, axis=1)


def write_png(path: Path, image_rgb: np.ndarray) -> None:
    """Encode an RGB uint8 image as PNG and write it atomically."""
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"{path}: PNG encoding failed")
    atomic_write_bytes(path, encoded.tobytes())

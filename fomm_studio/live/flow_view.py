"""The motion field made visible, as in the paper's figures: the dense backward flow as a colour wheel
and each keypoint's sparse motion as an arrow.

The dense motion network predicts, for every pixel z of the output, where in the source image to
sample (the backward flow T_{S<-D}(z), Eq. 4-6). The displacement T(z) - z is drawn with hue = its
direction and brightness = its length (scaled to the frame's largest motion, so small motions stay
visible; the legend says what full brightness means). Each keypoint's arrow goes from where the driving
keypoint lands in the output (kp_norm) to the source keypoint it samples from (kp_source): the local
motion T_k that the network blends.
"""

from __future__ import annotations

import cv2
import numpy as np

from trainer.visualize import kp_to_pixels, palette

_MIN_SCALE = 1e-3  # normalised units: below this the frame counts as still (all dark)


def identity_grid(height: int, width: int) -> np.ndarray:
    """Pixel centres in [-1, 1] (x, y), -1 at the first pixel and +1 at the last. Shapes: -> (h, w, 2)."""
    xs = np.linspace(-1.0, 1.0, width, dtype=np.float32)
    ys = np.linspace(-1.0, 1.0, height, dtype=np.float32)
    return np.stack(np.meshgrid(xs, ys), axis=-1)


def flow_displacement(deformation: np.ndarray) -> np.ndarray:
    """Backward flow (sampling positions) -> displacement T(z) - z, normalised units. Shapes: (h, w, 2)."""
    h, w = deformation.shape[:2]
    return deformation.astype(np.float32) - identity_grid(h, w)


def flow_scale(displacement: np.ndarray) -> float:
    """The displacement length drawn at full brightness: the 99th percentile, so one outlier does not
    dim the rest."""
    lengths = np.linalg.norm(displacement, axis=-1)
    return max(float(np.percentile(lengths, 99)), _MIN_SCALE)


def flow_to_rgb(deformation: np.ndarray, size: int, scale: float | None = None) -> np.ndarray:
    """Colour-wheel image of the dense flow: hue = direction, brightness = length / `scale`.

    Shapes: deformation (h, w, 2) -> (size, size, 3) uint8 RGB. Still pixels are black.
    """
    d = flow_displacement(deformation)
    scale = flow_scale(d) if scale is None else max(scale, _MIN_SCALE)
    angle = (np.degrees(np.arctan2(d[..., 1], d[..., 0])) % 360.0) / 2.0  # OpenCV hue is 0..179
    value = np.clip(np.linalg.norm(d, axis=-1) / scale, 0.0, 1.0) * 255.0
    hsv = np.stack([angle, np.full_like(angle, 255.0), value], axis=-1).astype(np.uint8)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR)


def draw_sparse_motions(image: np.ndarray, kp_norm: np.ndarray, kp_source: np.ndarray) -> np.ndarray:
    """One arrow per keypoint, from its driving position in the output to the source position it samples,
    in the keypoint's palette colour. Shapes: image (S, S, 3); keypoints (K, 2) in [-1, 1]."""
    out = image.copy()
    size = image.shape[0]
    start, end = kp_to_pixels(kp_norm, size), kp_to_pixels(kp_source, size)
    thickness = max(1, size // 200)
    for (x0, y0), (x1, y1), color in zip(start, end, palette(len(start)), strict=True):
        tail, tip = (round(float(x0)), round(float(y0))), (round(float(x1)), round(float(y1)))
        cv2.arrowedLine(out, tail, tip, (0, 0, 0), thickness + 2, cv2.LINE_AA, tipLength=0.2)
        cv2.arrowedLine(out, tail, tip, color, thickness, cv2.LINE_AA, tipLength=0.2)
    return out


def flow_overlay(
    image: np.ndarray, deformation: np.ndarray, kp_norm: np.ndarray, kp_source: np.ndarray, alpha: float = 0.7
) -> np.ndarray:
    """The output pane with the dense flow blended over it and the sparse motions on top."""
    wheel = flow_to_rgb(deformation, image.shape[0])
    return draw_sparse_motions(cv2.addWeighted(image, 1.0 - alpha, wheel, alpha, 0.0), kp_norm, kp_source)


def flow_legend(size: int = 64) -> np.ndarray:
    """A colour wheel legend: the colour of each direction, brighter with length. Shapes: -> (size, size, 3)."""
    grid = identity_grid(size, size)
    radius = np.linalg.norm(grid, axis=-1, keepdims=True)
    deformation = grid + np.where(radius <= 1.0, grid, 0.0)  # displacement = position inside the disc
    return flow_to_rgb(deformation.astype(np.float32), size, scale=1.0)

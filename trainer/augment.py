"""Augmentation applied identically to the two frames of a training pair (`augmentation_params`).

Every random draw comes from the `np.random.Generator` passed in, so a sample is a pure function of
its seed (which is what makes an interrupted run resume to the same losses).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.config import AugmentationParams, JitterParams


def augment_pair(
    frames: list[np.ndarray],
    params: AugmentationParams,
    rng: np.random.Generator,
    frame_shape: tuple[int, ...],
) -> list[np.ndarray]:
    """Flip, time-flip, jitter, resize and crop both frames the same way.

    Shapes: list of (H, W, 3) float32 in [0, 1] -> list of (frame_shape[0], frame_shape[1], 3).
    """
    if params.flip_param is not None:
        if params.flip_param.horizontal_flip and rng.random() < 0.5:
            frames = [np.ascontiguousarray(f[:, ::-1]) for f in frames]
        if params.flip_param.time_flip and rng.random() < 0.5:
            frames = frames[::-1]
    if params.jitter_param is not None:
        frames = color_jitter(frames, params.jitter_param, rng)
    if params.resize_param is not None:
        low, high = (params.resize_param.ratio + params.resize_param.ratio)[:2]
        frames = _rescale(frames, float(rng.uniform(min(low, high), max(low, high))))
    if params.crop_param is not None:
        frames = _random_crop(frames, tuple(params.crop_param.size[:2]), rng)
    target = (int(frame_shape[0]), int(frame_shape[1]))
    return [
        f if f.shape[:2] == target else cv2.resize(f, target[::-1], interpolation=cv2.INTER_AREA)
        for f in frames
    ]


def color_jitter(
    frames: list[np.ndarray], params: JitterParams, rng: np.random.Generator
) -> list[np.ndarray]:
    """Brightness, contrast, saturation and hue, drawn once and applied to every frame."""
    brightness = rng.uniform(max(0.0, 1 - params.brightness), 1 + params.brightness)
    contrast = rng.uniform(max(0.0, 1 - params.contrast), 1 + params.contrast)
    saturation = rng.uniform(max(0.0, 1 - params.saturation), 1 + params.saturation)
    hue = rng.uniform(-params.hue, params.hue)
    out = []
    for frame in frames:
        f = frame * brightness
        gray = f @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # (H, W)
        f = (f - gray.mean()) * contrast + gray.mean()
        gray = (f @ np.array([0.299, 0.587, 0.114], dtype=np.float32))[..., None]
        f = np.clip((f - gray) * saturation + gray, 0.0, 1.0).astype(np.float32)
        if hue != 0:
            hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)  # float input: H in [0, 360)
            hsv[..., 0] = (hsv[..., 0] + hue * 360.0) % 360.0
            f = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        out.append(np.clip(f, 0.0, 1.0).astype(np.float32))
    return out


def _rescale(frames: list[np.ndarray], ratio: float) -> list[np.ndarray]:
    h, w = frames[0].shape[:2]
    size = (max(1, round(w * ratio)), max(1, round(h * ratio)))
    return [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames]


def _random_crop(
    frames: list[np.ndarray], size: tuple[int, ...], rng: np.random.Generator
) -> list[np.ndarray]:
    """Crop (zero-padding first when the frame is smaller) at one random offset for all frames."""
    ch, cw = int(size[0]), int(size[1])
    h, w = frames[0].shape[:2]
    pad_h, pad_w = max(0, ch - h), max(0, cw - w)
    if pad_h or pad_w:
        pads = ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0))
        frames = [np.pad(f, pads) for f in frames]
        h, w = frames[0].shape[:2]
    top = int(rng.integers(0, h - ch + 1))
    left = int(rng.integers(0, w - cw + 1))
    return [np.ascontiguousarray(f[top : top + ch, left : left + cw]) for f in frames]

"""Turning a camera frame into the square driving crop the model sees: the protocol every cropper
follows (face tracking in `face_tracking.FaceCropper`) and the plain centre crop."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class CropperLike(Protocol):
    """Turns a camera frame into the square driving crop (face tracking or a plain centre crop)."""

    def __call__(
        self, frame: np.ndarray, face_crop: bool, zoom: float, offset: tuple[float, float]
    ) -> tuple[np.ndarray, bool]: ...


def center_crop(frame: np.ndarray, zoom: float = 1.0, offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Largest centred square, shrunk by `zoom` (>= 1) and moved by `offset` (fractions of the frame)."""
    h, w = frame.shape[:2]
    side = max(2, int(min(h, w) / max(zoom, 1.0)))
    cx = w / 2 + offset[0] * w
    cy = h / 2 + offset[1] * h
    left = int(np.clip(cx - side / 2, 0, w - side))
    top = int(np.clip(cy - side / 2, 0, h - side))
    return frame[top : top + side, left : left + side]


def plain_cropper(
    frame: np.ndarray, face_crop: bool, zoom: float, offset: tuple[float, float]
) -> tuple[np.ndarray, bool]:
    """Cropper without face tracking: a centred square with the manual zoom and move."""
    return center_crop(frame, zoom, offset), False

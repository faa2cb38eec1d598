"""Turning user images and camera frames into model input, and model output back into images.

Any size and aspect is accepted: the image is made square by a centre crop (default; keeps the
subject large, as a webcam face crop wants) or by padding with its edge pixels (keeps everything,
as a full-body avatar wants), then resized to the model's frame size with antialiasing.
Grayscale (H, W) / (H, W, 1) is replicated to RGB; RGBA is composited over white.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from engine.errors import ImageInputError

FitMode = Literal["crop", "pad"]


def to_rgb_uint8(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Any supported image -> contiguous uint8 (H, W, 3). Floats must be in [0, 1]."""
    if not isinstance(image, np.ndarray):
        raise ImageInputError(f"{name}: expected a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ImageInputError(f"{name}: expected H x W, H x W x 1, 3 or 4, got shape {image.shape}")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise ImageInputError(f"{name}: image of {image.shape[1]}x{image.shape[0]} pixels is too small")
    if image.dtype == np.uint8 and image.shape[2] == 3:
        return np.ascontiguousarray(image)  # the camera's case: no float round trip on the host
    data = _to_unit_float(image, name)
    if data.shape[2] == 1:
        data = np.repeat(data, 3, axis=2)
    elif data.shape[2] == 4:
        alpha = data[:, :, 3:4]
        data = data[:, :, :3] * alpha + (1.0 - alpha)  # over white
    return np.ascontiguousarray(np.round(data * 255.0).astype(np.uint8))


def _to_unit_float(image: np.ndarray, name: str) -> np.ndarray:
    """uint8, uint16 or float in [0, 1] -> float32 in [0, 1], same shape."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    if not np.issubdtype(image.dtype, np.floating):
        raise ImageInputError(f"{name}: unsupported pixel type {image.dtype} (use uint8 or float in [0, 1])")
    data = image.astype(np.float32)
    if not np.isfinite(data).all():
        raise ImageInputError(f"{name}: float image contains NaN or infinity")
    return np.clip(data, 0.0, 1.0)


def fit_square(image: np.ndarray, mode: FitMode = "crop") -> np.ndarray:
    """Centre-crop or edge-pad (H, W, C) to a square."""
    h, w = image.shape[:2]
    if h == w:
        return image
    if mode == "crop":
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        return image[top : top + side, left : left + side]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    return np.pad(image, ((top, side - h - top), (left, side - w - left), (0, 0)), mode="edge")


def image_to_tensor(
    image: np.ndarray,
    size: int,
    mode: FitMode = "crop",
    device: torch.device | str = "cpu",
    name: str = "image",
) -> torch.Tensor:
    """User image -> model input. Shapes: (H, W[, C]) -> (1, 3, size, size) float32 in [0, 1]."""
    square = fit_square(to_rgb_uint8(image, name), mode)
    return uint8_to_input(torch.from_numpy(np.ascontiguousarray(square)).to(device), size)


def uint8_to_input(square: torch.Tensor, size: int) -> torch.Tensor:
    """A square uint8 frame already on the model's device -> model input, converted there (the host
    only uploads bytes). Shapes: (S, S, 3) uint8 -> (1, 3, size, size) float32 in [0, 1]."""
    tensor = square.permute(2, 0, 1).unsqueeze(0).float() / 255.0
    if tensor.shape[-1] != size:
        tensor = F.interpolate(
            tensor, size=(size, size), mode="bilinear", align_corners=False, antialias=tensor.shape[-1] > size
        )
    return tensor.clamp_(0.0, 1.0)


def tensor_to_image(tensor: torch.Tensor) -> np.ndarray:
    """Model output -> uint8 image. Shapes: (1, C, H, W) or (C, H, W) in [0, 1] -> (H, W, C)."""
    if tensor.ndim == 4:
        tensor = tensor[0]
    array = tensor.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray(np.round(array * 255.0).astype(np.uint8))

"""PNG files of uint8 RGB images: the one place that encodes PNG (samples, frame folders, assets, and
the app's snapshots through `fomm_studio.media`)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engine.atomic import atomic_write_bytes
from engine.errors import FommError


class PngEncodingError(FommError):
    """OpenCV refused to encode an image as PNG."""


def encode_png(image_rgb: np.ndarray, compression: int | None = None) -> bytes:
    """PNG bytes of an image. Shapes: (H, W, 3) uint8 RGB.

    `compression` is zlib's level 0..9 (9: smallest file, slowest); None keeps OpenCV's default, tuned
    for speed (level 1, run-length strategy), which gives other bytes than an explicit 1.
    """
    params = [] if compression is None else [cv2.IMWRITE_PNG_COMPRESSION, compression]
    ok, data = cv2.imencode(".png", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise PngEncodingError("OpenCV could not encode the image as PNG")
    return data.tobytes()


def write_png(path: str | Path, image_rgb: np.ndarray, compression: int | None = None) -> None:
    """Encode as `encode_png` does and write the file atomically (complete or absent)."""
    try:
        data = encode_png(image_rgb, compression)
    except PngEncodingError as exc:
        raise PngEncodingError(f"{path}: {exc}") from None
    atomic_write_bytes(path, data)

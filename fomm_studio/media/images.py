"""Reading and writing still images as uint8 RGB (H, W, 3) arrays."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engine.atomic import atomic_write_bytes
from engine.errors import ImageInputError
from engine.imaging import to_rgb_uint8
from fomm_studio.media.errors import MediaError, check_input_file, describe_os_error
from trainer import png


def read_image(path: str | Path) -> np.ndarray:
    """Any image file OpenCV decodes -> uint8 RGB (H, W, 3).

    The bytes are read in Python and decoded with `cv2.imdecode`, so non-ASCII paths work on every
    platform. Grayscale, RGBA (over white) and 16-bit images are converted.
    """
    path = check_input_file(path, "image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise describe_os_error(path, exc, "reading the image") from exc
    decoded = _decode(data)
    if decoded is None:
        raise MediaError(f"{path}: not an image OpenCV can decode (corrupt or unsupported format)")
    try:
        return to_rgb_uint8(decoded, name=str(path))
    except ImageInputError as exc:
        raise MediaError(str(exc)) from exc


def _decode(data: np.ndarray) -> np.ndarray | None:
    """Decode to RGB/RGBA/gray, keeping 16 bits and alpha, and turning phone photos upright.

    OpenCV applies the EXIF orientation for every flag except IMREAD_UNCHANGED, which is the only one
    that keeps alpha; so images without alpha are decoded again with the orientation applied.
    """
    decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if decoded is None:
        return None
    if decoded.ndim == 3 and decoded.shape[2] == 4:
        return cv2.cvtColor(decoded, cv2.COLOR_BGRA2RGBA)
    upright = cv2.imdecode(data, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if upright is not None:
        decoded = upright
    if decoded.ndim == 3 and decoded.shape[2] == 3:
        return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    return decoded


def encode_png(image: np.ndarray) -> bytes:
    """uint8/float RGB, RGBA or grayscale array -> PNG bytes (RGB, 8 bit)."""
    try:
        return png.encode_png(to_rgb_uint8(image))
    except png.PngEncodingError as exc:
        raise MediaError(str(exc)) from exc


def save_png(path: str | Path, image: np.ndarray) -> Path:
    """Write `image` as a PNG atomically: the file is either complete or absent."""
    path = Path(path)
    data = encode_png(image)
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise describe_os_error(path, exc, "writing the PNG") from exc
    return path

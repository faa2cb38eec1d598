"""Avatar images, the sources of the live setting a student learns: files or folders of them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engine.errors import FommError
from trainer.video_cache import resize_frame

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def avatar_files(paths: tuple[Path, ...]) -> list[Path]:
    """Every image file named or inside a named folder (sorted); a missing path is an error naming it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise FommError(f"--avatars: {path}: no such image file or folder")
    return files


def read_avatar(path: Path, size: int) -> np.ndarray | None:
    """RGB uint8 (size, size, 3), centre-cropped square; None when the file is not a readable image."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        return None
    return resize_frame(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), (size, size, 3))


def load_avatars(paths: tuple[Path, ...], size: int) -> tuple[list[Path], np.ndarray | None]:
    """(files used, (S, size, size, 3) uint8) of the avatars; (.., None) without any.

    A named file that is not an image, or a folder with no readable image, is refused with one line."""
    used: list[Path] = []
    images: list[np.ndarray] = []
    for path in paths:
        files = avatar_files((path,))
        readable = [(f, image) for f in files if (image := read_avatar(f, size)) is not None]
        if not readable:
            what = (
                "folder has no readable image (.png, .jpg, .jpeg, .bmp, .webp)"
                if path.is_dir()
                else ("not a readable image")
            )
            raise FommError(f"--avatars: {path}: {what}")
        used.extend(f for f, _ in readable)
        images.extend(image for _, image in readable)
    return used, (np.stack(images) if images else None)

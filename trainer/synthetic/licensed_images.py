"""The only third-party pixels the synthetic generator uses: scikit-image's bundled sample images.

Each entry records where the picture comes from and its license, as stated in scikit-image's own
docstrings (`skimage.data.<name>`); the dataset README is written from this table, so a picture
that is not listed here cannot reach a dataset. All of them ship inside the scikit-image wheel, so
nothing is downloaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from engine.errors import FommError


class SourceImageError(FommError):
    """A bundled sample image could not be loaded (scikit-image missing or incomplete)."""


@dataclass(frozen=True)
class LicensedImage:
    """A sample image and the facts a dataset README must state about it."""

    name: str  # attribute of skimage.data
    title: str
    author: str
    license: str
    origin: str


@dataclass(frozen=True)
class PhotoFace:
    """A photo used as a face-like subject; landmarks in the source image's pixels (x, y)."""

    image: str
    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    mouth: tuple[float, float]
    chin: tuple[float, float]
    head_center: tuple[float, float]
    head_radii: tuple[float, float]  # half width, half height of the head ellipse (eyes levelled)
    body: bool  # whether shoulders below the head belong to the subject


LICENSED_IMAGES: dict[str, LicensedImage] = {
    image.name: image
    for image in (
        LicensedImage(
            "astronaut",
            "Astronaut Eileen Collins",
            "NASA",
            "public domain",
            "NASA Great Images database, https://flic.kr/p/r9qvLn",
        ),
        LicensedImage(
            "chelsea", "Chelsea the cat", "Stefan van der Walt", "CC0 1.0", "scikit-image sample data"
        ),
        LicensedImage(
            "coffee",
            "Coffee cup",
            "Rachel Michetti (Pikolo Espresso Bar)",
            "CC0 1.0",
            "scikit-image sample data",
        ),
        LicensedImage(
            "rocket",
            "Launch of DSCOVR on Falcon 9",
            "SpaceX",
            "public domain",
            "https://www.flickr.com/photos/spacexphotos/16511594820/",
        ),
        LicensedImage(
            "brick", "Brick wall", "CC0Textures", "CC0 1.0", "https://cc0textures.com/view.php?tex=Bricks25"
        ),
        LicensedImage(
            "grass",
            "Grass",
            "linolafett (DeviantArt)",
            "CC0 1.0",
            "https://www.deviantart.com/linolafett/art/Grass-01-434853879",
        ),
        LicensedImage(
            "gravel", "Gravel", "CC0Textures", "CC0 1.0", "https://cc0textures.com/view.php?tex=Gravel04"
        ),
        LicensedImage("camera", "Camera man", "Lav Varshney", "CC0 1.0", "scikit-image sample data"),
    )
}

# Landmarks measured by hand on the 512x512 astronaut and the 451x300 cat picture.
PHOTO_FACES: dict[str, PhotoFace] = {
    "astronaut": PhotoFace(
        "astronaut",
        left_eye=(205.0, 103.0),
        right_eye=(248.0, 103.0),
        mouth=(225.0, 146.0),
        chin=(225.0, 182.0),
        head_center=(226.0, 100.0),
        head_radii=(80.0, 100.0),
        body=True,
    ),
    "chelsea": PhotoFace(
        "chelsea",
        left_eye=(170.0, 112.0),
        right_eye=(320.0, 135.0),
        mouth=(262.0, 258.0),
        chin=(262.0, 292.0),
        head_center=(245.0, 165.0),
        head_radii=(185.0, 150.0),
        body=False,
    ),
}

BACKGROUND_IMAGES: tuple[str, ...] = ("coffee", "rocket", "brick", "grass", "gravel", "camera", "chelsea")


@functools.lru_cache(maxsize=16)
def load_image(name: str) -> np.ndarray:
    """A licensed sample image as read-only uint8 (H, W, 3) RGB; gray images are replicated."""
    if name not in LICENSED_IMAGES:
        raise SourceImageError(f"'{name}' is not a sample image with a recorded license")
    try:
        import skimage.data

        image = np.asarray(getattr(skimage.data, name)())
    except (ImportError, OSError, ValueError) as exc:
        raise SourceImageError(f"cannot load scikit-image sample '{name}' ({exc})") from None
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3].astype(np.uint8))
    image.setflags(write=False)
    return image


def license_lines(names: set[str]) -> list[str]:
    """One Markdown bullet per used sample image: title, author, license, origin."""
    lines = []
    for name in sorted(names):
        info = LICENSED_IMAGES[name]
        lines.append(
            f"- `skimage.data.{name}()` - {info.title}; author: {info.author}; "
            f"license: {info.license}; origin: {info.origin}"
        )
    return lines

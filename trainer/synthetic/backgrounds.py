"""Backgrounds behind the synthetic subject: gradients, rooms, licensed textures and smooth noise.

A background is drawn once per video a little larger than the frame; each frame takes a slightly
shifted view of it (a webcam on a desk drifts by a pixel or two).
"""

from __future__ import annotations

import cv2
import numpy as np

from trainer.synthetic.licensed_images import BACKGROUND_IMAGES, load_image

MARGIN = 8  # extra pixels on each side, so the drift never shows a border


def random_color(rng: np.random.Generator, low: int = 20, high: int = 235) -> np.ndarray:
    """An RGB colour away from pure black and white. Shapes: -> (3,) float32."""
    return rng.integers(low, high, 3).astype(np.float32)


def gradient_background(rng: np.random.Generator, side: int) -> np.ndarray:
    """Linear two-colour gradient in a random direction plus a soft vignette. Shapes: -> (side, side, 3)."""
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) / side
    theta = rng.uniform(0.0, 2.0 * np.pi)
    ramp = np.clip((np.cos(theta) * (xs - 0.5) + np.sin(theta) * (ys - 0.5)) + 0.5, 0.0, 1.0)
    image = (
        random_color(rng)[None, None] * (1.0 - ramp[..., None])
        + random_color(rng)[None, None] * ramp[..., None]
    )
    vignette = 1.0 - rng.uniform(0.0, 0.5) * ((xs - 0.5) ** 2 + (ys - 0.5) ** 2)
    return image * vignette[..., None]


def room_background(rng: np.random.Generator, side: int) -> np.ndarray:
    """A wall with a few out-of-focus rectangles (door, shelf, window) like a home-office backdrop."""
    image = np.empty((side, side, 3), np.float32)
    image[:] = random_color(rng, 60, 230)
    for _ in range(int(rng.integers(2, 7))):
        x0, y0 = rng.integers(-side // 4, side, 2)
        w, h = rng.integers(side // 10, side // 2, 2)
        image[max(0, y0) : max(0, y0 + h), max(0, x0) : max(0, x0 + w)] = random_color(rng)
    blur = int(rng.integers(1, 5)) * 2 + 1
    return cv2.GaussianBlur(image, (blur, blur), 0)


def texture_background(rng: np.random.Generator, side: int) -> np.ndarray:
    """A random crop of a licensed sample image, optionally tinted and defocused."""
    source = load_image(str(rng.choice(BACKGROUND_IMAGES)))
    h, w = source.shape[:2]
    crop = int(rng.uniform(0.45, 1.0) * min(h, w))
    top, left = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
    image = cv2.resize(
        source[top : top + crop, left : left + crop], (side, side), interpolation=cv2.INTER_AREA
    )
    image = image.astype(np.float32)
    if rng.random() < 0.5:
        image = cv2.flip(image, 1)
    if rng.random() < 0.5:
        blur = int(rng.integers(1, 4)) * 2 + 1
        image = cv2.GaussianBlur(image, (blur, blur), 0)
    tint = rng.uniform(0.7, 1.2, 3).astype(np.float32)
    return image * tint[None, None]


def noise_background(rng: np.random.Generator, side: int) -> np.ndarray:
    """Multi-octave smooth colour noise (a stand-in for clutter the model must ignore)."""
    image = np.zeros((side, side, 3), np.float32)
    for octave, weight in ((4, 1.0), (16, 0.5), (64, 0.25)):
        cells = rng.uniform(-1.0, 1.0, (octave, octave, 3)).astype(np.float32)
        image += weight * cv2.resize(cells, (side, side), interpolation=cv2.INTER_CUBIC)
    base, spread = random_color(rng, 60, 200), rng.uniform(20.0, 70.0)
    return base[None, None] + spread * image


def random_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """One background for a video. Shapes: -> (size + 2 * MARGIN, size + 2 * MARGIN, 3) float32 in [0, 255]."""
    side = size + 2 * MARGIN
    makers = (gradient_background, room_background, texture_background, noise_background)
    weights = np.array([0.2, 0.25, 0.4, 0.15])
    maker = makers[int(rng.choice(len(makers), p=weights))]
    return np.clip(maker(rng, side), 0.0, 255.0).astype(np.float32)


def generated_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Like `random_background` without the licensed pictures: a gradient, a room or smooth noise."""
    side = size + 2 * MARGIN
    makers = (gradient_background, room_background, noise_background)
    weights = np.array([0.2, 0.25, 0.15]) / 0.6
    maker = makers[int(rng.choice(len(makers), p=weights))]
    return np.clip(maker(rng, side), 0.0, 255.0).astype(np.float32)


def background_view(background: np.ndarray, size: int, dx: float, dy: float) -> np.ndarray:
    """The frame-sized view of `background` shifted by (dx, dy) pixels (sub-pixel, no border)."""
    matrix = np.array([[1.0, 0.0, -MARGIN - dx], [0.0, 1.0, -MARGIN - dy]], np.float32)
    return cv2.warpAffine(
        background, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )

"""Photo subjects (the public-domain astronaut, the CC0 cat) given local motion by smooth warps.

A photo cannot blink or talk, so each frame bends it with a displacement field built from
separable Gaussians around the landmarks: lids slide down over the eyes, the mouth region is
stretched open (and darkened inside), the chin drops, and the inner face slides sideways for yaw.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trainer.synthetic.cartoon import FaceState, body_height
from trainer.synthetic.licensed_images import PHOTO_FACES, PhotoFace, load_image


@dataclass(frozen=True)
class PhotoSubject:
    """A photo placed on a canvas as wide as the frame and 1.5 times as tall: premultiplied float32 (1.5 S, S, 4)."""

    rgba: np.ndarray
    eyes: tuple[tuple[float, float], tuple[float, float]]
    mouth: tuple[float, float]
    chin: tuple[float, float]
    center: tuple[float, float]
    radii: tuple[float, float]

    @property
    def size(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])

    @property
    def eye_distance(self) -> float:
        return float(np.hypot(self.eyes[1][0] - self.eyes[0][0], self.eyes[1][1] - self.eyes[0][1]))


def _placement(face: PhotoFace, size: int, rng: np.random.Generator, flip: bool) -> np.ndarray:
    """2x3 matrix from photo pixels to the canvas: eyes levelled, head of a random size, centred."""
    (lx, ly), (rx, ry) = face.left_eye, face.right_eye
    angle = np.degrees(np.arctan2(ry - ly, rx - lx))
    scale = size * rng.uniform(0.21, 0.29) / face.head_radii[1]
    target = (size * rng.uniform(0.45, 0.55), size * rng.uniform(0.4, 0.47))
    matrix = cv2.getRotationMatrix2D(face.head_center, angle, scale)
    matrix[:, 2] += np.array(target) - np.array(face.head_center)
    if flip:
        matrix = np.array([[-1.0, 0.0, size], [0.0, 1.0, 0.0]]) @ np.vstack([matrix, [0.0, 0.0, 1.0]])
    return matrix


def _apply(matrix: np.ndarray, point: tuple[float, float]) -> tuple[float, float]:
    x, y = matrix @ np.array([point[0], point[1], 1.0])
    return (float(x), float(y))


def _subject_mask(
    size: int, center: tuple[float, float], radii: tuple[float, float], body: bool
) -> np.ndarray:
    """Soft coverage of head (and shoulders). Shapes: -> (1.5 S, S) float32 in [0, 1]."""
    mask = np.zeros((body_height(size), size), np.uint8)
    c = (round(center[0] * 16), round(center[1] * 16))
    cv2.ellipse(mask, c, (round(radii[0] * 16), round(radii[1] * 16)), 0, 0, 360, 255, -1, cv2.LINE_AA, 4)
    if body:
        shoulders = (round(center[0] * 16), round((center[1] + 2.2 * radii[1]) * 16))
        cv2.ellipse(
            mask,
            shoulders,
            (round(radii[0] * 1.7 * 16), round(radii[1] * 1.4 * 16)),
            0,
            0,
            360,
            255,
            -1,
            cv2.LINE_AA,
            4,
        )
    blur = max(3, size // 64) | 1
    return cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (blur, blur), 0)


def random_photo_subject(rng: np.random.Generator, size: int) -> PhotoSubject:
    """Place one of the photo faces with random size, position, mirror and colour balance."""
    face = PHOTO_FACES[str(rng.choice(sorted(PHOTO_FACES)))]
    flip = bool(rng.random() < 0.5)
    matrix = _placement(face, size, rng, flip)
    image = cv2.warpAffine(
        load_image(face.image),
        matrix,
        (size, body_height(size)),
        flags=cv2.INTER_AREA,
        borderMode=cv2.BORDER_REFLECT,
    ).astype(np.float32)
    image *= rng.uniform(0.8, 1.15, 3).astype(np.float32)[None, None]
    scale = float(np.hypot(matrix[0, 0], matrix[0, 1]))
    center = _apply(matrix, face.head_center)
    radii = (face.head_radii[0] * scale, face.head_radii[1] * scale)
    alpha = _subject_mask(size, center, radii, face.body)
    eyes = sorted([_apply(matrix, face.left_eye), _apply(matrix, face.right_eye)])
    rgba = np.concatenate([np.clip(image, 0, 255) * alpha[..., None], alpha[..., None]], axis=2)
    return PhotoSubject(
        rgba=rgba,
        eyes=(eyes[0], eyes[1]),
        mouth=_apply(matrix, face.mouth),
        chin=_apply(matrix, face.chin),
        center=center,
        radii=radii,
    )


def _gauss(coords: np.ndarray, center: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((coords - center) / sigma) ** 2).astype(np.float32)


def displacement(subject: PhotoSubject, state: FaceState) -> tuple[np.ndarray, np.ndarray]:
    """Backward displacement (where each output pixel samples from, minus itself) for one expression.

    Shapes: -> dx, dy each (H, S) float32. Every term is an outer product of a row profile and a
    column profile, so a frame costs a few vector operations rather than a per-pixel loop.
    """
    ys = np.arange(subject.height, dtype=np.float32)
    xs = np.arange(subject.size, dtype=np.float32)
    d = subject.eye_distance
    dx = np.zeros((subject.height, subject.size), np.float32)
    dy = np.zeros_like(dx)
    for ex, ey in subject.eyes:  # lids: sample from above, so skin slides down over the eye
        lid = np.outer(_gauss(ys, ey - 0.05 * d, 0.16 * d), _gauss(xs, ex, 0.22 * d))
        brow = np.outer(_gauss(ys, ey - 0.3 * d, 0.15 * d), _gauss(xs, ex, 0.3 * d))
        dy -= state.blink * 0.22 * d * lid + state.brows * 0.06 * d * brow
    mx, my = subject.mouth
    stretch = _gauss(ys, my, 0.22 * d) * (ys - my)  # sampling nearer the mouth line opens it
    dy -= state.mouth * 0.45 * np.outer(stretch, _gauss(xs, mx, 0.4 * d))
    chin_y = subject.chin[1]
    below = np.clip((ys - my) / max(chin_y - my, 1.0), 0.0, 1.0)
    below *= _gauss(np.maximum(ys, chin_y), chin_y, 0.4 * d)  # fades out under the chin
    dy -= state.jaw * 0.18 * d * np.outer(below, _gauss(xs, mx, 0.6 * d))
    cx, cy = subject.center
    inner = np.outer(_gauss(ys, cy, 0.6 * subject.radii[1]), _gauss(xs, cx, 0.5 * subject.radii[0]))
    dx -= state.turn * 0.15 * subject.radii[0] * inner
    dy -= state.nod * 0.08 * subject.radii[1] * inner
    return dx, dy


def _darken_mouth(rgba: np.ndarray, subject: PhotoSubject, state: FaceState) -> None:
    """Open lips show a dark inside: blend a soft ellipse whose height follows the opening (in place)."""
    openness = max(state.mouth, 0.5 * state.jaw)
    d = subject.eye_distance
    half_w, half_h = 0.38 * d, 0.16 * d * openness + 1e-3
    mx, my = subject.mouth[0], subject.mouth[1] + 0.05 * d * state.jaw
    x0, x1 = max(0, int(mx - half_w) - 1), min(subject.size, int(mx + half_w) + 2)
    y0, y1 = max(0, int(my - half_h) - 1), min(subject.height, int(my + half_h) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    inside = 1.0 - ((xs - mx) / half_w) ** 2 - ((ys - my) / half_h) ** 2
    weight = np.clip(inside * 4.0, 0.0, 1.0) * min(1.0, openness * 1.5) * 0.85
    roi = rgba[y0:y1, x0:x1]
    dark = np.array([60.0, 20.0, 25.0], np.float32) * roi[..., 3:4]
    roi[..., :3] = roi[..., :3] * (1.0 - weight[..., None]) + dark * weight[..., None]


def draw_photo(subject: PhotoSubject, state: FaceState) -> np.ndarray:
    """The photo bent to `state`. Shapes: -> premultiplied rgba (S, S, 4) float32."""
    dx, dy = displacement(subject, state)
    map_x = np.arange(subject.size, dtype=np.float32)[None, :] + dx
    map_y = np.arange(subject.height, dtype=np.float32)[:, None] + dy
    warped = cv2.remap(
        subject.rgba,
        map_x,
        map_y,
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0.0, 0.0, 0.0, 0.0),
    )
    _darken_mouth(warped, subject, state)
    return warped

"""One synthetic "talking head in front of a webcam" video, reproducible from a seed.

Steps per video: pick a subject (cartoon head or photo face), a background and a motion; then per
frame: shifted background view, body layer, head layer bent by the expression and warped by the
global pose, then a webcam look (colour grade, exposure flicker, sensor noise).

`LoopingCartoon` draws the same kind of cartoon head frame by frame, for ever, for the app's
synthetic camera feed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from trainer.synthetic.backgrounds import background_view, generated_background, random_background
from trainer.synthetic.cartoon import FaceState, draw_body, draw_head, random_cartoon_face
from trainer.synthetic.photo import draw_photo, random_photo_subject
from trainer.synthetic.trajectory import HeadMotion, MotionLimits, MotionStyle, random_head_motion

PHOTO_PROBABILITY = 0.35
Layers = list[tuple[np.ndarray, np.ndarray]]  # (premultiplied rgba (S, S, 4), 2x3 warp) back to front
NOISE_BANK = 6  # noise frames drawn once per video and reused in random order (cheap, still varies)


@dataclass(frozen=True)
class SyntheticVideo:
    """Frames (T, S, S, 3) uint8 RGB and what kind of subject they show ('cartoon' or 'photo')."""

    frames: np.ndarray
    kind: str


def pose_matrix(
    pivot: tuple[float, float], angle: float, scale_x: float, scale_y: float, shift: tuple[float, float]
) -> np.ndarray:
    """2x3 map: squash about `pivot`, rotate by `angle` degrees (counter-clockwise), then translate."""
    theta = np.radians(angle)
    c, s = np.cos(theta), np.sin(theta)
    linear = np.array([[c, s], [-s, c]]) @ np.diag([scale_x, scale_y])
    offset = np.array(pivot) + np.array(shift) - linear @ np.array(pivot)
    return np.hstack([linear, offset[:, None]]).astype(np.float32)


def _over(frame: np.ndarray, rgba: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Composite a premultiplied layer, warped by `matrix`, over `frame`. Shapes: (S, S, 3), (S, S, 4)."""
    size = frame.shape[0]
    warped = cv2.warpAffine(
        rgba,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0.0, 0.0, 0.0, 0.0),
    )
    return frame * (1.0 - warped[..., 3:4]) + warped[..., :3]


def _state(motion: HeadMotion, t: int) -> FaceState:
    return FaceState(
        blink=float(motion.blink[t]),
        mouth=float(motion.mouth[t]),
        jaw=float(motion.jaw[t]),
        turn=float(motion.turn[t]),
        nod=float(motion.nod[t]),
        brows=float(motion.brows[t]),
    )


def _head_matrix(motion: HeadMotion, t: int, pivot: tuple[float, float], size: int) -> np.ndarray:
    """Global head pose; yaw and pitch also squash the head horizontally / vertically."""
    scale = float(motion.scale[t])
    return pose_matrix(
        pivot,
        float(motion.angle[t]),
        scale * (1.0 - 0.12 * abs(float(motion.turn[t]))),
        scale * (1.0 - 0.04 * abs(float(motion.nod[t]))),
        (float(motion.shift_x[t]) * size, float(motion.shift_y[t]) * size),
    )


def _body_matrix(motion: HeadMotion, t: int, pivot: tuple[float, float], size: int) -> np.ndarray:
    """Shoulders follow the head sluggishly: a fraction of its rotation, shift and scale."""
    scale = 1.0 + 0.5 * (float(motion.scale[t]) - 1.0)
    return pose_matrix(
        pivot,
        0.2 * float(motion.angle[t]),
        scale,
        scale,
        (0.5 * float(motion.shift_x[t]) * size, 0.5 * float(motion.shift_y[t]) * size),
    )


def _camera_look(
    rng: np.random.Generator, frames: int, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-video colour gain (3,), per-frame exposure (T,) and a bank of sensor-noise images."""
    gain = rng.uniform(0.85, 1.15, 3).astype(np.float32)
    exposure = (1.0 + rng.uniform(0.0, 0.03) * np.sin(np.arange(frames) * rng.uniform(0.05, 0.3))).astype(
        np.float32
    )
    sigma = rng.uniform(0.0, 4.0)
    noise = rng.normal(0.0, sigma, (NOISE_BANK, size, size, 3)).astype(np.float32)
    return gain, exposure, noise


def _rgba(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb, alpha[..., None]], axis=2)


class _CartoonSubject:
    """A cartoon head with its body (drawn once) and the pivots its pose turns about."""

    def __init__(self, rng: np.random.Generator, size: int, textured: bool = True):
        self.size = size
        self.face = random_cartoon_face(rng, size, textured)
        self.body = _rgba(*draw_body(self.face))
        (cx, cy), (_, ry) = self.face.center, self.face.radii
        self.head_pivot, self.body_pivot = (cx, cy + 0.9 * ry), (cx, float(size))

    def layers(self, motion: HeadMotion, t: int) -> Layers:
        """Frame t: [(body rgba, body matrix), (head rgba, head matrix)]."""
        head = _rgba(*draw_head(self.face, _state(motion, t)))
        return [
            (self.body, _body_matrix(motion, t, self.body_pivot, self.size)),
            (head, _head_matrix(motion, t, self.head_pivot, self.size)),
        ]


def _cartoon_layers(rng: np.random.Generator, size: int, motion: HeadMotion) -> Iterator[Layers]:
    """Per frame: [(body rgba, body matrix), (head rgba, head matrix)]."""
    subject = _CartoonSubject(rng, size)
    for t in range(len(motion.angle)):
        yield subject.layers(motion, t)


def _photo_layers(rng: np.random.Generator, size: int, motion: HeadMotion) -> Iterator[Layers]:
    """Per frame: [(photo rgba bent by the expression, head matrix)]."""
    subject = random_photo_subject(rng, size)
    for t in range(len(motion.angle)):
        yield [(draw_photo(subject, _state(motion, t)), _head_matrix(motion, t, subject.chin, size))]


def render_video(
    seed: int | tuple[int, ...],
    frames: int,
    size: int = 256,
    kind: str | None = None,
    style: MotionStyle | None = None,
) -> SyntheticVideo:
    """Render one video; the same arguments always give the same pixels.

    `kind` forces 'cartoon' or 'photo' (default: drawn from the seed); `style` the motion's amplitude
    and looping (default: MotionStyle()). Shapes: -> frames (frames, size, size, 3) uint8.
    """
    style = style or MotionStyle()
    rng = np.random.default_rng(seed)
    drawn = "photo" if rng.random() < PHOTO_PROBABILITY else "cartoon"
    kind = kind or drawn
    motion = random_head_motion(rng, frames, MotionLimits().scaled(style.scale), loop=style.loop)
    background = random_background(rng, size)
    gain, exposure, noise = _camera_look(rng, frames, size)
    noise_order = rng.integers(0, NOISE_BANK, frames)
    layers = _photo_layers(rng, size, motion) if kind == "photo" else _cartoon_layers(rng, size, motion)
    out = np.empty((frames, size, size, 3), np.uint8)
    for t, frame_layers in enumerate(layers):
        frame = background_view(
            background, size, float(motion.background_x[t]), float(motion.background_y[t])
        )
        for rgba, matrix in frame_layers:
            frame = _over(frame, rgba, matrix)
        frame = frame * (gain * exposure[t])[None, None] + noise[noise_order[t]]
        np.clip(frame, 0.0, 255.0, out=frame)
        out[t] = frame.astype(np.uint8)
    return SyntheticVideo(frames=out, kind=kind)


def cartoon_portrait(seed: int, size: int = 512) -> np.ndarray:
    """A still, front-facing cartoon head (eyes open, mouth closed) for an avatar. Shapes: -> (S, S, 3) uint8."""
    rng = np.random.default_rng(seed)
    background = random_background(rng, size)
    face = random_cartoon_face(rng, size)
    frame = background_view(background, size, 0.0, 0.0)
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
    frame = _over(frame, _rgba(*draw_body(face)), identity)
    frame = _over(frame, _rgba(*draw_head(face, FaceState())), identity)
    return np.clip(frame, 0.0, 255.0).astype(np.uint8)


class LoopingCartoon:
    """A cartoon head that talks, blinks and moves for ever, drawn one frame at a time on demand.

    The motion is drawn for `period` frames with every curve periodic, so frame `index` is frame
    `index % period` and the loop has no seam. The same arguments always give the same pixels. Frames
    are clean (no webcam grade or noise): one head drawing and two warps each, cheap enough for a live
    view. Only generated pixels (no licensed picture), so nothing is loaded: it starts in milliseconds
    on any thread.
    """

    def __init__(self, seed: int | tuple[int, ...], size: int = 256, period: int = 300):
        rng = np.random.default_rng(seed)
        self.size = size
        self.motion = random_head_motion(rng, period, loop=True)
        self.background = generated_background(rng, size)
        self.subject = _CartoonSubject(rng, size, textured=False)

    @property
    def period(self) -> int:
        return len(self.motion.angle)

    def frame(self, index: int) -> np.ndarray:
        """Frame `index`. Shapes: -> (size, size, 3) uint8 RGB."""
        t = index % self.period
        motion = self.motion
        frame = background_view(
            self.background, self.size, float(motion.background_x[t]), float(motion.background_y[t])
        )
        for rgba, matrix in self.subject.layers(motion, t):
            frame = _over(frame, rgba, matrix)
        return np.clip(frame, 0.0, 255.0).astype(np.uint8)

    def head_center(self, index: int) -> tuple[float, float]:
        """Where frame `index` shows the centre of the head, in pixels (x, y)."""
        t = index % self.period
        matrix = _head_matrix(self.motion, t, self.subject.head_pivot, self.size)
        x, y = matrix @ np.array([*self.subject.face.center, 1.0])
        return float(x), float(y)

"""Smooth random motion curves: sums of sinusoids for head pose, events for blinks and speech."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def smooth_signal(
    rng: np.random.Generator,
    frames: int,
    band: tuple[float, float] = (0.008, 0.06),
    components: int = 3,
    loop: bool = False,
) -> np.ndarray:
    """A zero-mean curve in [-1, 1] made of `components` sinusoids with frequencies in the `band`
    (slow, fast) in cycles/frame.

    Shapes: -> (frames,) float32. Amplitudes fall with frequency so motion looks like a head, not a
    vibration. With `loop`, frequencies snap to whole cycles per clip, so the last frame flows into the first.
    """
    slow, fast = band
    t = np.arange(frames, dtype=np.float64)
    freqs = rng.uniform(slow, fast, components)
    if loop:
        freqs = np.maximum(1.0, np.round(freqs * frames)) / frames
    amps = rng.uniform(0.3, 1.0, components) / np.sqrt(freqs / slow)
    phases = rng.uniform(0.0, 2.0 * np.pi, components)
    curve = (amps[:, None] * np.sin(2.0 * np.pi * freqs[:, None] * t[None, :] + phases[:, None])).sum(0)
    return (curve / amps.sum()).astype(np.float32)


def blink_signal(
    rng: np.random.Generator,
    frames: int,
    gaps: tuple[int, int] = (12, 45),
    duration: int = 7,
    loop: bool = False,
) -> np.ndarray:
    """Eyelid closure in [0, 1] with a blink every `gaps` = (min, max) frames. Shapes: -> (frames,).

    With `loop`, no blink is cut by the clip's end (the eyes are open where the clip wraps around).
    """
    min_gap, max_gap = gaps
    closure = np.zeros(frames, dtype=np.float32)
    profile = np.sin(np.linspace(0.0, np.pi, duration)).astype(np.float32) ** 0.7
    start = int(rng.integers(0, max_gap // 2 + 1))
    while start < frames - (duration if loop else 0):
        end = min(frames, start + duration)
        closure[start:end] = np.maximum(closure[start:end], profile[: end - start])
        start += int(rng.integers(min_gap, max_gap + 1))
    return closure


def speech_signal(rng: np.random.Generator, frames: int, loop: bool = False) -> np.ndarray:
    """Mouth opening in [0, 1]: syllable-rate oscillation gated by slow talk/pause phrases."""
    syllables = 0.5 + 0.5 * smooth_signal(rng, frames, (0.08, 0.2), 3, loop)
    phrases = np.clip(0.6 + 1.5 * smooth_signal(rng, frames, (0.01, 0.04), 2, loop), 0.0, 1.0)
    return np.clip(syllables * phrases * rng.uniform(0.8, 1.3), 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class HeadMotion:
    """Per-frame pose and expression of one subject; each array has shape (frames,)."""

    angle: np.ndarray  # degrees, counter-clockwise
    scale: np.ndarray  # relative, about 1
    shift_x: np.ndarray  # fraction of the frame side
    shift_y: np.ndarray
    turn: np.ndarray  # -1 (left) .. 1 (right): yaw faked by squash and feature parallax
    nod: np.ndarray  # -1 .. 1: pitch faked by moving features up/down
    blink: np.ndarray  # 0 open .. 1 closed
    mouth: np.ndarray  # 0 closed .. 1 open
    jaw: np.ndarray  # 0 .. 1 jaw drop
    brows: np.ndarray  # -1 .. 1 eyebrow raise
    background_x: np.ndarray  # pixels, the camera's small drift
    background_y: np.ndarray


@dataclass(frozen=True)
class MotionLimits:
    """How far a head moves: rotation within +-`max_angle` degrees, scale within 1 +- `max_scale`,
    shift within +-`max_shift` of the frame side."""

    max_angle: float = 20.0
    max_scale: float = 0.15
    max_shift: float = 0.08
    pose_gain: float = 1.2  # fake yaw and pitch before clipping to [-1, 1]

    def scaled(self, factor: float) -> MotionLimits:
        """Every amplitude times `factor`: for data where the motion, not the appearance, dominates
        what changes from frame to frame (fake yaw and pitch saturate at their +-1 clip)."""
        return MotionLimits(
            self.max_angle * factor, self.max_scale * factor, self.max_shift * factor, self.pose_gain * factor
        )


@dataclass(frozen=True)
class MotionStyle:
    """How a rendered clip moves: `scale` times MotionLimits' amplitudes (the same subject and curves,
    only larger or smaller), and with `loop` every curve periodic over the clip, for a seamless sample."""

    scale: float = 1.0
    loop: bool = False


def random_head_motion(
    rng: np.random.Generator, frames: int, limits: MotionLimits = MotionLimits(), loop: bool = False
) -> HeadMotion:
    """Draw a reproducible motion within `limits`; the random draws do not depend on `limits`, so one
    seed gives the same motion at any amplitude."""
    max_angle, max_scale, max_shift = limits.max_angle, limits.max_scale, limits.max_shift
    pose = limits.pose_gain

    def wave(slow: float = 0.008, fast: float = 0.06) -> np.ndarray:
        return smooth_signal(rng, frames, (slow, fast), loop=loop)

    energy = rng.uniform(0.5, 1.0)  # some subjects move more than others
    mouth = speech_signal(rng, frames, loop)
    jaw = np.clip(mouth * rng.uniform(0.4, 1.0) + 0.15 * wave(0.02, 0.06), 0.0, 1.0)
    return HeadMotion(
        angle=max_angle * energy * wave(),
        scale=1.0 + max_scale * energy * wave(0.005, 0.04),
        shift_x=max_shift * energy * wave(),
        shift_y=0.6 * max_shift * energy * wave(),
        turn=np.clip(pose * energy * wave(0.01, 0.05), -1.0, 1.0),
        nod=np.clip(pose * energy * wave(0.01, 0.06), -1.0, 1.0),
        blink=blink_signal(rng, frames, loop=loop),
        mouth=mouth,
        jaw=jaw.astype(np.float32),
        brows=wave(0.01, 0.08),
        background_x=2.0 * wave(0.003, 0.02),
        background_y=1.5 * wave(0.003, 0.02),
    )

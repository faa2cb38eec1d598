"""Keypoint smoothing for the live view: a One-Euro filter on the driving keypoints.

The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) is a low-pass filter whose cutoff rises with
the signal's speed: slow jitter of a still face is smoothed hard, fast head motion passes with little
lag. Webcam keypoints jitter by a pixel or two from frame to frame, which makes the avatar shimmer.

`KeypointSmoother` plugs into `engine.AnimationSession.keypoint_filter`, which applies it to the
driving keypoints before motion transfer. It filters torch tensors where they are (on the GPU the
keypoints never visit the host) and numpy arrays alike: the filter is elementwise arithmetic only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import torch

from engine import Keypoints
from engine.errors import FommError

KeypointDict = dict[str, torch.Tensor]
ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


class OneEuroFilter:
    """One-Euro low-pass filter over arrays of any fixed shape (e.g. keypoints (K, 2)), numpy or torch.

    numpy input is filtered in float64; torch input in its own dtype and on its own device."""

    def __init__(self, min_cutoff: float = 1.0, beta: float = 1.0, d_cutoff: float = 1.0):
        if min_cutoff <= 0 or d_cutoff <= 0:
            raise FommError(f"One-Euro cutoffs must be positive (got {min_cutoff}, {d_cutoff})")
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | torch.Tensor | None = None
        self._dx: np.ndarray | torch.Tensor | None = None
        self._t: float | None = None

    @staticmethod
    def _alpha(cutoff: float | ArrayT, dt: float) -> float | ArrayT:
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x: ArrayT, t: float) -> ArrayT:
        """Filter sample `x` taken at time `t` (seconds). The first sample passes unchanged."""
        if isinstance(x, np.ndarray):
            x = np.asarray(x, dtype=np.float64)
        previous = self._x
        if previous is None or self._t is None or type(previous) is not type(x) or previous.shape != x.shape:
            self._x, self._dx, self._t = x * 1.0, x * 0.0, t
            return x * 1.0
        dt = max(t - self._t, 1e-6)
        dx = (x - previous) / dt
        assert self._dx is not None  # set together with _x
        dx_hat = self._dx + self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * abs(dx_hat)
        x_hat = previous + self._alpha(cutoff, dt) * (x - previous)
        self._x, self._dx, self._t = x_hat, dx_hat, t
        return x_hat  # type: ignore[return-value]  # same array type as x, checked above


def strength_to_min_cutoff(strength: float) -> float:
    """Map a 0..1 slider to the filter's minimum cutoff: 0 -> 10 Hz (light), 1 -> 0.3 Hz (heavy)."""
    strength = min(max(strength, 0.0), 1.0)
    return 10.0 ** (1.0 - 1.5 * strength)


class KeypointSmoother:
    """One-Euro filters for the keypoint values and Jacobians of one driving stream.

    Plugs into `AnimationSession.keypoint_filter`: called once per frame with the driving keypoints.
    Time is taken from `clock` (wall time by default) so the filter adapts to the real frame rate.
    """

    def __init__(
        self, strength: float = 0.5, beta: float = 1.0, clock: Callable[[], float] = time.perf_counter
    ):
        self.strength = strength
        cutoff = strength_to_min_cutoff(strength)
        self.value_filter = OneEuroFilter(cutoff, beta)
        self.jacobian_filter = OneEuroFilter(cutoff, beta)
        self.clock = clock

    def reset(self) -> None:
        self.value_filter.reset()
        self.jacobian_filter.reset()

    def __call__(self, kp: KeypointDict) -> KeypointDict:
        """The engine's keypoint filter: driving keypoint tensors (batch of one) in, smoothed out."""
        t = self.clock()
        out = {"value": self.value_filter(kp["value"], t)}
        if "jacobian" in kp:
            out["jacobian"] = self.jacobian_filter(kp["jacobian"], t)
        return out

    def smooth(self, kp: Keypoints) -> Keypoints:
        """The same filter on numpy keypoints: value (K, 2), jacobian (K, 2, 2) or None."""
        t = self.clock()
        value = self.value_filter(kp.value, t).astype(kp.value.dtype)
        jacobian = None
        if kp.jacobian is not None:
            jacobian = self.jacobian_filter(kp.jacobian, t).astype(kp.jacobian.dtype)
        return Keypoints(value, jacobian)

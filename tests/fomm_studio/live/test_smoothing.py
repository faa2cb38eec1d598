"""One-Euro keypoint smoothing: less jitter on a still point, little lag on a fast move, engine hook."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest

from engine import AnimationResult, AnimationSession, Keypoints
from engine.errors import FommError
from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.live.smoothing import KeypointSmoother, OneEuroFilter, strength_to_min_cutoff


def test_first_sample_passes_and_jitter_is_reduced() -> None:
    rng = np.random.default_rng(0)
    filt = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    noisy = 0.3 + rng.normal(0, 0.01, size=(200, 5, 2))
    out = np.stack([filt(x, t / 30) for t, x in enumerate(noisy)])
    np.testing.assert_array_equal(out[0], noisy[0])
    assert out[50:].std() < noisy[50:].std() / 3


def test_fast_motion_lags_less_with_beta() -> None:
    ramp = np.linspace(0, 1, 30)[:, None]
    lag = {}
    for beta in (0.0, 5.0):
        filt = OneEuroFilter(min_cutoff=0.5, beta=beta)
        out = np.stack([filt(x, t / 30) for t, x in enumerate(ramp)])
        lag[beta] = float(ramp[-1, 0] - out[-1, 0])
    assert lag[5.0] < lag[0.0] / 2


def test_strength_mapping_and_bad_cutoff() -> None:
    assert strength_to_min_cutoff(0.0) == pytest.approx(10.0)
    assert strength_to_min_cutoff(1.0) < strength_to_min_cutoff(0.5) < strength_to_min_cutoff(0.0)
    with pytest.raises(FommError, match="cutoffs must be positive"):
        OneEuroFilter(min_cutoff=0.0)


FPS = 30.0


def frame_clock() -> Callable[[], float]:
    """A clock that advances one frame period per reading (the smoother reads it once per frame)."""
    ticks = itertools.count()
    return lambda: next(ticks) / FPS


def smooth(smoother: KeypointSmoother, values: np.ndarray) -> np.ndarray:
    """Keypoint values (T, K, 2) through the smoother, frame by frame."""
    return np.stack([smoother.smooth(Keypoints(v.astype(np.float32), None)).value for v in values])


def test_smoother_reduces_the_jitter_of_a_still_face() -> None:
    """About a pixel of noise at 256 px (0.008 in [-1, 1] units) on still keypoints, live defaults."""
    noisy = 0.3 + np.random.default_rng(0).normal(0, 0.008, size=(150, 10, 2))
    jacobians = np.eye(2) + np.random.default_rng(1).normal(0, 0.02, size=(150, 10, 2, 2))
    smoother = KeypointSmoother(strength=0.5, clock=frame_clock())
    out = [
        smoother.smooth(Keypoints(v.astype(np.float32), j.astype(np.float32)))
        for v, j in zip(noisy, jacobians, strict=True)
    ]
    values = np.stack([kp.value for kp in out])[30:]  # after a second of warm-up
    smoothed_jacobians = np.stack([kp.jacobian for kp in out])[30:]

    def spread(series: np.ndarray) -> float:  # noise over time, per coordinate
        return float(series.std(axis=0).mean())

    def step_size(series: np.ndarray) -> float:  # frame-to-frame change
        return float(np.abs(np.diff(series, axis=0)).mean())

    assert values.dtype == np.float32
    assert spread(values) < spread(noisy[30:]) / 2
    assert step_size(values) < step_size(noisy[30:]) / 3
    assert spread(smoothed_jacobians) < spread(jacobians[30:]) / 2
    assert abs(values.mean() - 0.3) < 0.002  # no drift: still points stay where they are


def test_smoother_follows_a_step_with_lag_and_settles_without_overshoot() -> None:
    step = np.where(np.arange(60)[:, None, None] < 10, 0.0, 0.5) * np.ones((60, 10, 2))
    out = smooth(KeypointSmoother(strength=0.5, clock=frame_clock()), step)[:, 0, 0]
    np.testing.assert_array_equal(out[:10], 0.0)
    assert 0.05 < out[10] < 0.4  # lags: part of the way on the first frame after the step
    assert np.all(np.diff(out[10:]) >= 0) and out.max() <= 0.5 + 1e-6  # approaches, never overshoots
    assert abs(out[10 + 15] - 0.5) < 0.005  # there within half a second


def test_smoother_lets_fast_motion_through() -> None:
    """A quick head turn (0.6 in 0.2 s): the speed-dependent cutoff (beta) keeps the lag small."""
    sweep = np.concatenate([np.zeros(10), np.linspace(0, 0.6, 7), np.full(20, 0.6)])
    values = sweep[:, None, None] * np.ones((1, 10, 2))
    lag = {}
    for beta in (0.0, 1.0):
        out = smooth(KeypointSmoother(strength=0.5, beta=beta, clock=frame_clock()), values)
        lag[beta] = float(0.6 - out[16, 0, 0])  # the last frame of the sweep
    assert lag[1.0] < lag[0.0] / 2  # a plain low-pass at the same cutoff trails far behind
    assert lag[1.0] < 0.2 * 0.6


def test_session_animates_with_the_smoothed_keypoints(tiny_models) -> None:
    """The session hands each frame's detected keypoints to its filter and drives the generator with
    the filter's output: same keypoints as filtering the unsmoothed session's, and steadier."""
    feed = SyntheticFeed(size=64, realtime=False)
    rng = np.random.default_rng(1)
    still = feed.frame_at(0).astype(int)
    frames = [np.clip(still + rng.integers(-12, 13, still.shape), 0, 255).astype(np.uint8) for _ in range(12)]
    plain, smoothed = AnimationSession(tiny_models), AnimationSession(tiny_models)
    smoothed.keypoint_filter = KeypointSmoother(strength=1.0, clock=frame_clock())
    for session in (plain, smoothed):
        session.set_source(feed.frame_at(5))
    raw = [plain.animate(f, with_extras=False) for f in frames]
    filtered = [smoothed.animate(f, with_extras=False) for f in frames]
    expected = smooth(
        KeypointSmoother(strength=1.0, clock=frame_clock()), np.stack([r.kp_driving.value for r in raw])
    )
    np.testing.assert_allclose(np.stack([r.kp_driving.value for r in filtered]), expected, atol=1e-6)

    def jitter(results: list[AnimationResult]) -> float:
        return float(np.abs(np.diff(np.stack([r.kp_norm.value for r in results]), axis=0)).mean())

    assert 0 < jitter(filtered) < jitter(raw) / 3  # the generator's keypoints (kp_norm) are steadier

"""One-Euro keypoint smoothing: less jitter on a still point, little lag on a fast move, engine hook."""

from __future__ import annotations

import numpy as np
import pytest

from engine import AnimationSession, Keypoints
from engine.errors import FommError
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


def test_smoother_plugs_into_the_session(tiny_models) -> None:
    clock = iter(np.arange(100) / 30)
    smoother = KeypointSmoother(strength=1.0, clock=lambda: float(next(clock)))
    kp = Keypoints(np.zeros((5, 2), np.float32), np.tile(np.eye(2, dtype=np.float32), (5, 1, 1)))
    smoother.smooth(kp)
    moved = smoother.smooth(Keypoints(kp.value + 0.5, kp.jacobian))
    assert moved.value.dtype == np.float32 and 0 < moved.value[0, 0] < 0.5
    session = AnimationSession(tiny_models)
    session.keypoint_filter = KeypointSmoother(0.5)
    rng = np.random.default_rng(1)
    session.set_source(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    result = session.animate(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    assert result.image.shape == (64, 64, 3)

"""The shipped default model: loads strictly, stays small, and moves the default avatar."""

from __future__ import annotations

import numpy as np

from engine import AnimationSession, load_models
from fomm_studio.media import VideoReader, read_image
from fomm_studio.model_registry import ASSETS_DIR, DEFAULT_CHECKPOINT, DEFAULT_CONFIG


def test_default_weights_are_shipped_small_and_load() -> None:
    assert DEFAULT_CHECKPOINT.is_file()
    assert DEFAULT_CHECKPOINT.stat().st_size < 20 * 1024 * 1024
    models = load_models(DEFAULT_CONFIG, DEFAULT_CHECKPOINT)
    assert models.config.frame_size == 256


def test_default_model_animates_the_default_avatar_with_the_sample_clip() -> None:
    session = AnimationSession(load_models(DEFAULT_CONFIG, DEFAULT_CHECKPOINT))
    session.set_source(read_image(ASSETS_DIR / "avatars" / "astronaut.png"))
    frames = []
    for index, frame in enumerate(VideoReader(ASSETS_DIR / "sample_driving.mp4")):
        if index % 20 == 0:
            frames.append(session.animate(frame))
        if len(frames) == 5:
            break
    first, *rest = frames
    # Keypoints follow the driving clip and the rendered avatar changes with them.
    assert max(np.abs(r.kp_norm.value - first.kp_norm.value).max() for r in rest) > 0.01
    assert max(np.abs(r.image.astype(int) - first.image.astype(int)).mean() for r in rest) > 1.0
    assert (
        first.occlusion_map is not None
        and 0.0 <= first.occlusion_map.min() <= first.occlusion_map.max() <= 1.0
    )

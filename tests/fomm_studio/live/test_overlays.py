"""Overlays: heatmap/occlusion/mask blends and the composed panes (keypoints: tests/trainer/test_visualize.py)."""

from __future__ import annotations

import numpy as np

from engine import AnimationSession
from fomm_studio.live.overlays import (
    OverlayOptions,
    blend_heatmaps,
    blend_occlusion,
    compose_panes,
    mask_colors,
)
from trainer.visualize import palette


def test_blends_change_pixels_and_masks_use_the_palette() -> None:
    image = np.full((64, 64, 3), 128, np.uint8)
    heat = np.zeros((2, 16, 16), np.float32)
    heat[0, 4, 4] = 1.0
    assert not np.array_equal(blend_heatmaps(image, heat), image)
    occlusion = np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16)
    out = blend_occlusion(image, occlusion)
    assert out[0, 0].tolist() != out[-1, -1].tolist()
    mask = np.zeros((3, 8, 8), np.float32)
    mask[0] = 1.0
    mask[2, :, 4:] = 2.0
    colors = mask_colors(mask, 8)
    assert tuple(colors[0, 0]) == (40, 40, 40) and tuple(colors[0, 7]) == palette(2)[1]


def test_compose_panes_with_every_overlay(tiny_models) -> None:
    rng = np.random.default_rng(0)
    session = AnimationSession(tiny_models)
    session.set_source(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    frame = rng.integers(0, 255, (80, 80, 3), dtype=np.uint8)
    result = session.animate(frame)
    plain = compose_panes(result, frame, session.source_image, OverlayOptions(), 128)
    every = compose_panes(
        result, frame, session.source_image, OverlayOptions(True, True, True, True, True), 128
    )
    for a, b in ((plain.driving, every.driving), (plain.avatar, every.avatar), (plain.output, every.output)):
        assert a.shape == b.shape == (128, 128, 3) and not np.array_equal(a, b)
    assert every.avatar_caption == "Deformed source" and plain.avatar_caption == "Avatar"

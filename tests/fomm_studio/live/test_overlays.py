"""Overlays: keypoint colours and positions, Jacobian axes, heatmap/occlusion/mask blends, panes."""

from __future__ import annotations

import numpy as np

from engine import AnimationSession
from fomm_studio.live.overlays import (
    OverlayOptions,
    blend_heatmaps,
    blend_occlusion,
    compose_panes,
    draw_keypoints,
    kp_to_pixels,
    mask_colors,
    palette,
)


def test_palette_is_fixed_distinct_and_extends() -> None:
    assert palette(3) == palette(10)[:3]
    colors = palette(30)
    assert len(set(colors)) == 30


def test_keypoints_are_drawn_where_they_are_in_their_colour() -> None:
    image = np.zeros((101, 101, 3), np.uint8)
    value = np.array([[-1.0, -1.0], [0.0, 0.0], [0.5, -0.5]])
    np.testing.assert_allclose(kp_to_pixels(value, 101), [[0, 0], [50, 50], [75, 25]])
    out = draw_keypoints(image, value)
    assert tuple(out[50, 50]) == palette(3)[1] and tuple(out[25, 75]) == palette(3)[2]
    assert image.max() == 0  # input untouched


def test_jacobian_axes_follow_the_matrix() -> None:
    image = np.zeros((201, 201, 3), np.uint8)
    jacobian = np.array([[[2.0, 0.0], [0.0, 0.0]]])  # x axis long, y axis collapsed
    out = draw_keypoints(image, np.zeros((1, 2)), jacobian, axis_length=0.2)
    color = palette(1)[0]
    # 0.2 * 2 * 100 px = 40 px to the right; the (antialiased) line is close to the keypoint's colour
    assert np.abs(out[100, 135].astype(int) - color).max() < 60
    assert out[100, 165].max() == 0  # it stops at the tip
    assert out[130, 100].max() == 0  # the collapsed y axis draws nothing below


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

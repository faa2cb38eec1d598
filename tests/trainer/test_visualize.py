"""Keypoint drawing (shared by training samples and the live overlays) and the sample strip."""

from __future__ import annotations

import numpy as np
import torch

from trainer.visualize import draw_keypoints, kp_to_pixels, palette, sample_strip


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


def test_sample_strip_puts_the_panels_side_by_side() -> None:
    torch.manual_seed(0)
    source, driving = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    generated = {
        "prediction": torch.rand(2, 3, 32, 32),
        "occlusion_map": torch.rand(2, 1, 16, 16),
        "kp_driving": torch.zeros(2, 3, 2),
    }
    strip = sample_strip(source, driving, generated)
    assert strip.shape == (32, 5 * 32, 3) and strip.dtype == np.uint8
    assert tuple(strip[16, 2 * 32 + 16]) == palette(3)[2]  # keypoint 2 drawn last, at the centre
    assert np.array_equal(strip[:, 32:64], (driving[0].permute(1, 2, 0) * 255).round().byte().numpy())
    del generated["occlusion_map"]
    assert sample_strip(source, driving, generated).shape == (32, 4 * 32, 3)

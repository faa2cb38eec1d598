"""The flow view: dense backward flow as a colour wheel, sparse motions as arrows, in the inspector."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from engine import AnimationSession
from fomm_studio.live.flow_view import (
    draw_sparse_motions,
    flow_legend,
    flow_to_rgb,
    identity_grid,
)
from fomm_studio.live.overlays import OverlayOptions, compose_panes, palette


def _hue(rgb: np.ndarray) -> float:
    r, g, b = (float(c) / 255.0 for c in rgb)
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360.0


def test_no_motion_is_black() -> None:
    still = flow_to_rgb(identity_grid(16, 16), 32)
    assert still.shape == (32, 32, 3) and int(still.max()) == 0


@pytest.mark.parametrize(("shift", "hue"), [((0.2, 0.0), 0.0), ((0.0, 0.2), 90.0), ((-0.2, 0.0), 180.0)])
def test_direction_sets_the_hue(shift: tuple[float, float], hue: float) -> None:
    """A uniform flow is one colour whose hue is the displacement's angle (x right, y down)."""
    rgb = flow_to_rgb(identity_grid(8, 8) + np.array(shift, np.float32), 8)
    pixels = rgb.reshape(-1, 3).astype(int)
    assert int((pixels.max(axis=0) - pixels.min(axis=0)).max()) <= 2 and int(rgb[0, 0].max()) >= 253
    assert abs((_hue(rgb[0, 0]) - hue + 180) % 360 - 180) < 4


def test_length_sets_the_brightness_against_the_scale() -> None:
    grid = identity_grid(8, 8)
    half = flow_to_rgb(grid + np.array([0.1, 0.0], np.float32), 8, scale=0.2)
    full = flow_to_rgb(grid + np.array([0.3, 0.0], np.float32), 8, scale=0.2)
    assert int(half.max()) == pytest.approx(128, abs=2) and int(full.max()) == 255


def test_sparse_motion_arrows_run_from_driving_to_source_in_the_keypoint_colour() -> None:
    image = np.zeros((101, 101, 3), np.uint8)
    kp_norm = np.array([[-0.5, 0.0], [0.5, 0.5]])
    kp_source = np.array([[0.5, 0.0], [0.5, -0.5]])
    drawn = draw_sparse_motions(image, kp_norm, kp_source)
    colours = np.array(palette(2), float)

    def nearest(pixel: np.ndarray) -> int:
        return int(np.argmin(np.linalg.norm(colours - pixel.astype(float), axis=1)))

    assert nearest(drawn[50, 50]) == 0 and int(drawn[50, 50].max()) > 150  # midway along the first arrow
    assert nearest(drawn[50, 75]) == 1 and int(drawn[50, 75].max()) > 150  # midway along the second
    assert int(drawn[10, 10].max()) == 0


def test_legend_shows_every_direction() -> None:
    legend = flow_legend(64)
    hues = {round(_hue(legend[y, x]) / 30) % 12 for y, x in [(32, 60), (60, 32), (32, 4), (4, 32)]}
    assert len(hues) == 4 and int(legend[32, 32].max()) < 20  # the centre does not move


def test_inspector_flow_overlay_changes_only_the_output_pane(tiny_models) -> None:
    rng = np.random.default_rng(1)
    session = AnimationSession(tiny_models)
    session.set_source(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    session.animate(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))  # calibrates on this frame
    frame = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    result = session.animate(frame)
    assert result.deformation is not None
    plain = compose_panes(result, frame, session.source_image, OverlayOptions(), 96)
    flow = compose_panes(result, frame, session.source_image, OverlayOptions(flow=True), 96)
    assert np.array_equal(plain.driving, flow.driving) and np.array_equal(plain.avatar, flow.avatar)
    assert not np.array_equal(plain.output, flow.output)
    assert OverlayOptions(flow=True).any

"""Paste-back: the head of a large avatar is animated at the model's size and blended back at full size."""

from __future__ import annotations

import numpy as np
import pytest

from fomm_studio.live.face_tracking import HaarFaceDetector
from fomm_studio.live.paste_back import (
    PasteBackOptions,
    feather_mask,
    plan_region,
    prepare_paste_back,
)
from fomm_studio.media import read_image
from fomm_studio.paths import ASSETS_DIR


class FixedFace:
    """A detector that always finds the face at (x, y, w, h)."""

    def __init__(self, face: tuple[int, int, int, int] | None):
        self.face = face

    def __call__(self, frame: np.ndarray) -> tuple[int, int, int, int] | None:
        return self.face

    def near(self, frame: np.ndarray, last: object) -> tuple[int, int, int, int] | None:
        return self.face


def _avatar(h: int = 700, w: int = 1024) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


def test_small_avatars_and_faceless_ones_are_animated_whole() -> None:
    assert plan_region(_avatar(256, 256), 256, PasteBackOptions(), FixedFace((10, 10, 50, 50))) is None
    assert plan_region(_avatar(), 256, PasteBackOptions(), FixedFace(None)) is None


def test_the_head_square_stays_inside_the_avatar() -> None:
    region = plan_region(_avatar(), 256, PasteBackOptions(margin=2.0), FixedFace((900, 20, 150, 150)))
    assert region is not None and region.side == 300
    assert region.left + region.side <= 1024 and region.top >= 0  # pushed back inside at the corner


def test_feather_is_zero_at_the_edges_one_inside_and_smooth() -> None:
    mask = feather_mask(100, 0.2)[:, :, 0]
    assert mask[0, 50] == 0 and mask[50, 0] == 0 and mask[50, 50] == 1
    assert np.all(np.diff(mask[50, :21]) >= 0) and mask.shape == (100, 100)


def test_pasting_the_unchanged_crop_gives_back_the_avatar_and_changes_nothing_outside() -> None:
    avatar = _avatar()
    paste = prepare_paste_back(avatar, 256, PasteBackOptions(), FixedFace((400, 200, 150, 150)))
    assert paste is not None and paste.source_crop.shape == (256, 256, 3)
    out = paste.paste(paste.source_crop)
    assert out.shape == avatar.shape and out.dtype == np.uint8
    r = paste.region
    outside = np.ones(avatar.shape[:2], bool)
    outside[r.top : r.top + r.side, r.left : r.left + r.side] = False
    assert np.array_equal(out[outside], avatar[outside])
    smooth = np.full_like(avatar, 128)  # a flat avatar: resizing round trips exactly
    flat = prepare_paste_back(smooth, 256, PasteBackOptions(), FixedFace((400, 200, 150, 150)))
    assert flat is not None and np.abs(flat.paste(flat.source_crop).astype(int) - 128).max() <= 1


def test_an_animated_head_lands_in_the_middle_without_a_colour_step_at_the_seam() -> None:
    avatar = np.full((800, 1000, 3), 100, np.uint8)
    paste = prepare_paste_back(avatar, 256, PasteBackOptions(), FixedFace((400, 300, 160, 160)))
    assert paste is not None
    animated = paste.source_crop.astype(int) + 30  # the model's colour drift ...
    animated[100:156, 100:156] = 250  # ... and a bright moving mouth in the middle
    out = paste.paste(np.clip(animated, 0, 255).astype(np.uint8))
    r = paste.region
    centre = out[r.top + r.side // 2, r.left + r.side // 2]
    assert int(centre[0]) > 200  # the animated part shows at full resolution
    border = out[r.top + 2, r.left : r.left + r.side]
    assert np.abs(border.astype(int) - 100).max() <= 2  # drift removed: no step where the two meet


def test_the_real_astronaut_portrait_is_found_and_cropped_around_the_face() -> None:
    portrait = read_image(ASSETS_DIR / "avatars" / "astronaut.png")
    big = np.repeat(np.repeat(portrait, 2, axis=0), 2, axis=1)  # a 2x larger portrait
    paste = prepare_paste_back(big, 256, detector=HaarFaceDetector())
    assert paste is not None
    r = paste.region
    assert r.side < min(big.shape[:2]) and pytest.approx(r.side, rel=0.5) == big.shape[0] * 0.55

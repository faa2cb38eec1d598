"""Detail transfer: the avatar's fine detail, moved by the model's flow, added to the upscaled crop."""

from __future__ import annotations

import cv2
import numpy as np

from fomm_studio.live.detail_transfer import (
    DetailTransfer,
    FrameMotion,
    detail_layer,
    effective_resolution,
    identity_grid,
    low_pass,
)
from fomm_studio.live.paste_back import PasteBack, PasteRegion, set_paste_source

MODEL = 64  # the model's frame size in these tests
SIDE = 200  # the avatar square's side (~3x the model's, as a 1024 portrait's head at 256)


def _textured(side: int = SIDE, seed: int = 0) -> np.ndarray:
    """Grey fine texture on a smooth colour ramp: detail the round trip through MODEL pixels loses."""
    rng = np.random.default_rng(seed)
    texture = rng.normal(0.0, 25.0, (side, side)).astype(np.float32)
    ramp = np.linspace(60.0, 190.0, side, dtype=np.float32)
    image = np.empty((side, side, 3), np.float32)
    image[..., 0], image[..., 1], image[..., 2] = ramp[None, :], ramp[:, None], 128.0
    return np.clip(image + texture[:, :, None], 0, 255).astype(np.uint8)


def _low_pass(square: np.ndarray) -> np.ndarray:
    """The square as the model's frame carries it back: down to MODEL pixels and up again."""
    return low_pass(square, MODEL)


def _identity(occlusion: float | None = 1.0, h: int = 16) -> FrameMotion:
    occ = None if occlusion is None else np.full((h, h), occlusion, np.float32)
    return FrameMotion(identity_grid(h, h), occ)


def _laplacian_variance(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_identity_grid_is_grid_sample_pixel_centres() -> None:
    grid = identity_grid(4, 8)
    assert grid.shape == (4, 8, 2)
    np.testing.assert_allclose(grid[0, :, 0], (2 * np.arange(8) + 1) / 8 - 1)
    np.testing.assert_allclose(grid[:, 0, 1], (2 * np.arange(4) + 1) / 4 - 1)


def test_a_flat_avatar_has_no_detail_to_add() -> None:
    flat = np.full((SIDE, SIDE, 3), (30, 140, 220), np.uint8)
    assert np.abs(detail_layer(flat, MODEL)).max() < 1e-4
    animated = np.full((SIDE, SIDE, 3), (50, 100, 200), np.uint8)
    out = DetailTransfer(flat, MODEL).add_to(animated, _identity())
    np.testing.assert_array_equal(out, animated)


def test_identity_flow_on_the_avatars_low_pass_gives_back_the_avatar() -> None:
    avatar = _textured()
    blurred = _low_pass(avatar)
    out = DetailTransfer(avatar, MODEL).add_to(blurred, _identity())
    before = np.abs(blurred.astype(int) - avatar).mean()
    after = np.abs(out.astype(int) - avatar).mean()
    assert before > 10 and after < 1.0  # within rounding of the stored detail
    assert _laplacian_variance(out) > 3 * _laplacian_variance(blurred)


def test_occluded_regions_take_no_detail() -> None:
    avatar, blurred = _textured(), _low_pass(_textured())
    transfer = DetailTransfer(avatar, MODEL)
    np.testing.assert_array_equal(transfer.add_to(blurred, _identity(occlusion=0.0)), blurred)
    # the left half occluded, the right half visible
    occlusion = np.ones((16, 16), np.float32)
    occlusion[:, :8] = 0.0
    out = transfer.add_to(blurred, FrameMotion(identity_grid(16, 16), occlusion))
    np.testing.assert_array_equal(out[:, : SIDE // 2 - 10], blurred[:, : SIDE // 2 - 10])
    right = slice(SIDE // 2 + 10, SIDE)
    assert np.abs(out[:, right].astype(int) - avatar[:, right]).mean() < 1.0
    # no occlusion map (a config without one): everything is visible
    unmapped = transfer.add_to(blurred, _identity(occlusion=None))
    np.testing.assert_array_equal(unmapped, transfer.add_to(blurred, _identity()))


def test_a_shifted_flow_moves_the_detail_with_it() -> None:
    """A backward flow reading the source 20 pixels to the right moves the avatar's detail 20 pixels
    to the left: the output's detail matches the avatar's detail shifted, not where it was."""
    avatar, shift = _textured(), 20
    transfer = DetailTransfer(avatar, MODEL)
    deformation = identity_grid(16, 16)
    deformation[..., 0] += 2.0 * shift / SIDE  # normalised units: the side spans 2
    grey = np.full((SIDE, SIDE, 3), 128, np.uint8)
    added = transfer.add_to(grey, FrameMotion(deformation, None)).astype(np.float32)[:, :, 0] - 128
    source = detail_layer(avatar, MODEL)
    inner = slice(30, SIDE - 30)
    moved = added[inner, inner]
    assert np.corrcoef(moved.ravel(), source[inner, 30 + shift : SIDE - 30 + shift].ravel())[0, 1] > 0.95
    assert abs(np.corrcoef(moved.ravel(), source[inner, inner].ravel())[0, 1]) < 0.2


def test_paste_with_motion_is_sharper_and_without_it_unchanged() -> None:
    avatar = np.full((400, 400, 3), 100, np.uint8)
    avatar[100:300, 100:300] = _textured()
    paste = PasteBack(avatar, PasteRegion(100, 100, SIDE), MODEL, feather=0.1)
    plain = paste.paste(paste.source_crop)
    sharp = paste.paste(paste.source_crop, _identity())
    assert plain.shape == sharp.shape == avatar.shape
    face = (slice(120, 280), slice(120, 280))
    assert _laplacian_variance(sharp[face]) > 3 * _laplacian_variance(plain[face])
    assert np.abs(sharp[face].astype(int) - avatar[face]).mean() < 1.0
    np.testing.assert_array_equal(sharp[:100], avatar[:100])  # outside the square: the avatar's own pixels


def test_the_effective_resolution_is_found_on_a_reconstruction_that_keeps_less() -> None:
    source = _textured(MODEL * 4)  # the model's frame: 256 pixels here
    assert effective_resolution(source, source) == MODEL * 4  # a perfect model keeps everything
    found = effective_resolution(source, low_pass(source, 100))
    assert 75 <= found <= 110  # within one ~15% step of what the "model" kept
    assert (
        effective_resolution(source, np.full_like(source, 90)) == MODEL
    )  # flat output: the floor, a quarter


def test_the_source_is_set_with_its_measured_detail_and_left_uncalibrated(tiny_models) -> None:
    from engine import AnimationSession

    avatar = np.full((400, 400, 3), 100, np.uint8)
    avatar[100:300, 100:300] = _textured()
    paste = PasteBack(avatar, PasteRegion(100, 100, SIDE), tiny_models.config.frame_size, feather=0.1)
    session = AnimationSession(tiny_models)
    calls: list[object] = []
    session.keypoint_filter = lambda kp: calls.append(kp) or kp
    set_paste_source(session, avatar, paste)
    assert not calls and session.keypoint_filter is not None  # the measuring frame passed no filter
    assert not session.is_calibrated and session.has_source
    np.testing.assert_array_equal(session.source_image, paste.source_crop)
    assert tiny_models.config.frame_size // 4 <= paste.detail_resolution <= tiny_models.config.frame_size

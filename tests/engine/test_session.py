"""AnimationSession: any image shape/mode in, cached source, calibration, overlays out."""

from __future__ import annotations

import numpy as np
import pytest

from engine import AnimationSession, FommError, ImageInputError, MotionOptions
from engine.imaging import fit_square, image_to_tensor, to_rgb_uint8


def frame(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("shape", [(64, 64), (64, 64, 1), (64, 64, 4), (8, 8, 3), (40, 300, 3), (300, 40, 3)])
def test_images_of_any_mode_and_aspect_are_accepted(tiny_models, shape: tuple[int, ...]) -> None:
    session = AnimationSession(tiny_models)
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    session.set_source(image)
    result = session.animate(image)
    assert result.image.shape == (64, 64, 3) and result.image.dtype == np.uint8
    assert result.driving.shape == (64, 64, 3)


def test_rgba_is_composited_and_gray_replicated() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[0, 0, 3] = 255
    rgb = to_rgb_uint8(rgba)
    assert tuple(rgb[0, 0]) == (255, 0, 0) and tuple(rgb[1, 1]) == (255, 255, 255)
    gray = to_rgb_uint8(np.full((3, 3), 7, np.uint8))
    assert gray.shape == (3, 3, 3) and (gray == 7).all()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((4, 4, 2), np.uint8), "expected H x W"),
        (np.zeros((1, 5, 3), np.uint8), "too small"),
        (np.zeros((4, 4, 3), np.int64), "unsupported pixel type"),
        (np.full((4, 4, 3), np.nan, np.float32), "NaN"),
    ],
)
def test_bad_images_name_the_problem(image: np.ndarray, message: str) -> None:
    with pytest.raises(ImageInputError, match=message):
        to_rgb_uint8(image, "avatar.png")


def test_fit_square_crop_and_pad() -> None:
    wide = np.arange(2 * 6 * 3, dtype=np.uint8).reshape(2, 6, 3)
    assert fit_square(wide, "crop").shape == (2, 2, 3)
    padded = fit_square(wide, "pad")
    assert padded.shape == (6, 6, 3)
    assert (padded[2:4] == wide).all() and (padded[0] == wide[0]).all()


def test_image_to_tensor_resizes_to_model_size() -> None:
    tensor = image_to_tensor(frame(100, 150), 64)
    assert tensor.shape == (1, 3, 64, 64) and float(tensor.min()) >= 0.0 and float(tensor.max()) <= 1.0


def test_first_frame_calibrates_and_same_frame_reproduces_source_keypoints(tiny_models) -> None:
    session = AnimationSession(tiny_models, MotionOptions(relative=True, adapt_movement_scale=True))
    kp_source = session.set_source(frame(64, 64, 1))
    assert not session.is_calibrated
    result = session.animate(frame(64, 64, 2))
    assert session.is_calibrated
    np.testing.assert_allclose(result.kp_norm.value, kp_source.value, atol=1e-5)
    moved = session.animate(frame(64, 64, 3))
    assert not np.allclose(moved.kp_norm.value, kp_source.value, atol=1e-4)


def test_absolute_mode_uses_driving_keypoints(tiny_models) -> None:
    session = AnimationSession(
        tiny_models, MotionOptions(relative=False, adapt_movement_scale=False, relative_jacobian=False)
    )
    session.set_source(frame(64, 64, 1))
    result = session.animate(frame(64, 64, 2))
    np.testing.assert_allclose(result.kp_norm.value, result.kp_driving.value)


def test_new_source_resets_calibration_and_changes_output(tiny_models) -> None:
    session = AnimationSession(tiny_models)
    session.set_source(frame(64, 64, 1))
    first = session.animate(frame(64, 64, 2)).image
    session.set_source(frame(64, 64, 5))
    assert not session.is_calibrated
    assert not np.array_equal(session.animate(frame(64, 64, 2)).image, first)


def test_extras_have_documented_shapes(tiny_models) -> None:
    session = AnimationSession(tiny_models)
    session.set_source(frame(64, 64))
    result = session.animate(frame(64, 64, 1))
    assert result.occlusion_map.shape == (32, 32)
    assert result.mask.shape == (6, 32, 32)
    np.testing.assert_allclose(result.mask.sum(0), 1.0, atol=1e-5)
    assert result.deformation.shape == (32, 32, 2)
    assert result.heatmaps.shape[0] == 5
    assert result.deformed.shape == (64, 64, 3)
    assert set(result.timings) == {"keypoints", "generator"}
    lean = session.animate(frame(64, 64, 1), with_extras=False)
    assert lean.mask is None and lean.occlusion_map is None
    np.testing.assert_array_equal(lean.image, result.image)


def test_animate_without_source_is_an_error(tiny_models) -> None:
    with pytest.raises(FommError, match="no source image"):
        AnimationSession(tiny_models).animate(frame(64, 64))


def test_fp16_needs_cuda_and_unknown_precisions_are_refused(tiny_models) -> None:
    with pytest.raises(FommError, match="fp16 precision needs a CUDA device"):
        AnimationSession(tiny_models, precision="fp16")
    with pytest.raises(FommError, match="precision must be one of fp32, fp16, bf16"):
        AnimationSession(tiny_models, precision="int4")  # type: ignore[arg-type]


@pytest.mark.gpu
def test_cuda_half_session_matches_fp32(tiny_config_path, tiny_checkpoint) -> None:
    from engine import load_models

    cpu = AnimationSession(load_models(tiny_config_path, tiny_checkpoint))
    gpu = AnimationSession(load_models(tiny_config_path, tiny_checkpoint, device="cuda"), precision="fp16")
    for session in (cpu, gpu):
        session.set_source(frame(64, 64, 1))
    a, b = cpu.animate(frame(64, 64, 2)).image, gpu.animate(frame(64, 64, 2)).image
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 3


def test_keypoint_filter_is_applied_to_driving_keypoints(tiny_models) -> None:
    session = AnimationSession(tiny_models, MotionOptions(relative=False, adapt_movement_scale=False))
    session.set_source(frame(64, 64, 1))
    session.keypoint_filter = lambda kp: {**kp, "value": kp["value"] * 0 + 0.25}
    result = session.animate(frame(64, 64, 2))
    np.testing.assert_allclose(result.kp_driving.value, 0.25)
    np.testing.assert_allclose(result.kp_norm.value, 0.25)


def test_channels_last_models_give_the_same_frames(tiny_models) -> None:
    session = AnimationSession(tiny_models)
    session.set_source(frame(64, 64, 1))
    before = session.animate(frame(64, 64, 2)).image
    tiny_models.to_channels_last()
    session.set_source(frame(64, 64, 1))
    after = session.animate(frame(64, 64, 2)).image
    assert np.abs(before.astype(int) - after.astype(int)).max() <= 1

"""The engine against the original code's outputs (tests/data/golden/small): agreement to 1e-4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import engine
from engine.generator import SourceCache
from engine.motion import MotionOptions
from engine.tps import TPSTransform

TOL = 1e-4
# The original code's normalize_kp flags per case, as MotionOptions.
CASES = {
    "relative": MotionOptions(relative=True, adapt_movement_scale=True, relative_jacobian=True),
    "relative_noscale": MotionOptions(relative=True, adapt_movement_scale=False, relative_jacobian=True),
    "absolute": MotionOptions(relative=False, adapt_movement_scale=False, relative_jacobian=False),
}
GENERATOR_KEYS = ("prediction", "deformed", "occlusion_map", "mask", "sparse_deformed")


@pytest.fixture(scope="module")
def golden(golden_dir: Path) -> dict[str, object]:
    small = golden_dir / "small"
    models = engine.load_models(small / "config.yaml", small / "checkpoint.pth.tar")
    inputs = {k: torch.from_numpy(v) for k, v in np.load(small / "inputs.npz").items()}
    with torch.no_grad():
        kps = {name: models.kp_detector(inputs[name]) for name in ("source", "driving", "driving_initial")}
    return {"models": models, "inputs": inputs, "kps": kps, "expected": dict(np.load(small / "outputs.npz"))}


def assert_close(actual: torch.Tensor, expected: np.ndarray, what: str) -> None:
    assert tuple(actual.shape) == expected.shape, what
    diff = float(np.abs(actual.detach().numpy() - expected).max())
    assert diff < TOL, f"{what}: max abs diff {diff:.2e}"


@pytest.mark.parametrize("name", ["source", "driving", "driving_initial"])
def test_keypoints_match_original(golden: dict, name: str) -> None:
    kp = golden["kps"][name]
    expected = golden["expected"]
    assert_close(kp["value"], expected[f"kp_{name}.value"], f"kp_{name}.value")
    assert_close(kp["jacobian"], expected[f"kp_{name}.jacobian"], f"kp_{name}.jacobian")


@pytest.mark.parametrize("case", CASES)
def test_normalized_keypoints_and_generator_match_original(golden: dict, case: str) -> None:
    kps, expected, models = golden["kps"], golden["expected"], golden["models"]
    kp_norm = engine.normalize_kp(kps["source"], kps["driving"], kps["driving_initial"], CASES[case])
    assert_close(kp_norm["value"], expected[f"{case}.kp_norm.value"], f"{case}.kp_norm.value")
    assert_close(kp_norm["jacobian"], expected[f"{case}.kp_norm.jacobian"], f"{case}.kp_norm.jacobian")
    with torch.no_grad():
        out = models.generator(golden["inputs"]["source"], kp_source=kps["source"], kp_driving=kp_norm)
    for key in GENERATOR_KEYS:
        assert_close(out[key], expected[f"{case}.generator.{key}"], f"{case}.generator.{key}")


def test_cached_source_features_give_the_same_prediction(golden: dict) -> None:
    kps, models, source = golden["kps"], golden["models"], golden["inputs"]["source"]
    with torch.no_grad():
        features = models.generator.encode_source(source)
        cached = models.generator(
            source, kp_source=kps["source"], kp_driving=kps["driving"], cache=SourceCache(features=features)
        )
        fresh = models.generator(source, kp_source=kps["source"], kp_driving=kps["driving"])
    assert torch.equal(cached["prediction"], fresh["prediction"])


def test_session_reproduces_golden_relative_case(golden: dict) -> None:
    """AnimationSession on uint8 frames gives the golden prediction up to 8-bit quantisation."""
    inputs, expected = golden["inputs"], golden["expected"]

    def to_uint8(t: torch.Tensor) -> np.ndarray:
        return np.round(t[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)

    session = engine.AnimationSession(golden["models"], engine.MotionOptions(True, True, True))
    session.set_source(to_uint8(inputs["source"]))
    session.calibrate(to_uint8(inputs["driving_initial"]))
    result = session.animate(to_uint8(inputs["driving"]))
    reference = expected["relative.generator.prediction"][0].transpose(1, 2, 0) * 255
    assert np.abs(result.image.astype(np.float32) - reference).mean() < 1.0
    assert result.occlusion_map.shape == (64, 64)
    assert result.mask.shape == (11, 64, 64)


def test_tps_transform_matches_original(golden_dir: Path) -> None:
    data = {k: torch.from_numpy(v) for k, v in np.load(golden_dir / "small" / "tps.npz").items()}
    transform = TPSTransform(data["theta"], data["control_points"], data["control_params"])
    assert_close(transform.warp_coordinates(data["coordinates"]), data["warped"].numpy(), "warped")
    assert_close(transform.jacobian(data["coordinates"]), data["jacobian"].numpy(), "jacobian")
    assert_close(
        transform.transform_frame(data["frame"]), data["transformed_frame"].numpy(), "transformed_frame"
    )

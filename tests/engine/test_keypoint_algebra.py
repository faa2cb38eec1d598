"""Invariants of the keypoint algebra: grids, heatmaps, sparse motions (Eq. 4), motion transfer (Eq. 10-11)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import TransformParams
from engine.geometry import heatmap_to_keypoints, kp2gaussian, make_coordinate_grid, scale_key
from engine.motion import MotionOptions, convex_hull_area, movement_scale, normalize_kp, sparse_motions
from engine.tps import TPSTransform


def random_kp(batch: int = 2, k: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    value = torch.rand(batch, k, 2, generator=g) * 1.6 - 0.8
    jacobian = torch.eye(2).expand(batch, k, 2, 2) + 0.2 * torch.randn(batch, k, 2, 2, generator=g)
    return {"value": value, "jacobian": jacobian}


def test_coordinate_grid_spans_minus_one_to_one_with_x_first() -> None:
    grid = make_coordinate_grid(3, 5)
    assert grid.shape == (3, 5, 2)
    assert torch.allclose(grid[0, :, 0], torch.linspace(-1, 1, 5))
    assert torch.allclose(grid[:, 0, 1], torch.linspace(-1, 1, 3))


def test_gaussian_peaks_at_keypoint_and_soft_argmax_recovers_it() -> None:
    kp = torch.tensor([[[0.5, -0.25]]])
    heat = kp2gaussian(kp, 33, 33, 0.01)
    y, x = np.unravel_index(int(heat[0, 0].argmax()), (33, 33))
    assert (x, y) == (24, 12)
    normalised = heat / heat.sum(dim=(2, 3), keepdim=True)
    assert torch.allclose(heatmap_to_keypoints(normalised), kp, atol=1e-3)


def test_sparse_motion_is_identity_when_source_equals_driving() -> None:
    kp = random_kp()
    motions = sparse_motions(16, 16, kp, kp)
    grid = make_coordinate_grid(16, 16)
    assert motions.shape == (2, 5, 16, 16, 2)
    assert torch.allclose(motions, grid.expand_as(motions), atol=1e-5)


def test_sparse_motion_maps_driving_keypoint_to_source_keypoint() -> None:
    kp_s, kp_d = random_kp(seed=1), random_kp(seed=2)
    kp_d["value"] = torch.tensor([[[0.0, 0.0]] * 4] * 2)  # keypoints on the pixel grid's centre
    motions = sparse_motions(17, 17, kp_s, kp_d)
    assert torch.allclose(motions[:, 1:, 8, 8], kp_s["value"], atol=1e-5)


def test_identical_driving_and_initial_give_source_keypoints() -> None:
    kp_s, kp_d = random_kp(seed=3), random_kp(seed=4)
    out = normalize_kp(kp_s, kp_d, kp_d, MotionOptions(relative=True, adapt_movement_scale=True))
    assert torch.allclose(out["value"], kp_s["value"], atol=1e-6)
    assert torch.allclose(out["jacobian"], kp_s["jacobian"], atol=1e-5)


def test_absolute_transfer_returns_driving_keypoints() -> None:
    kp_s, kp_d, kp_i = random_kp(seed=5), random_kp(seed=6), random_kp(seed=7)
    out = normalize_kp(kp_s, kp_d, kp_i)
    assert out["value"] is kp_d["value"] and out["jacobian"] is kp_d["jacobian"]


def test_movement_scale_is_sqrt_of_hull_area_ratio() -> None:
    square = torch.tensor([[[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [0.0, 0.0]]])
    scale = movement_scale({"value": square * 2}, {"value": square})
    assert scale.shape == (1, 1, 1)
    assert float(scale) == pytest.approx(2.0)


def test_convex_hull_area_of_known_shapes() -> None:
    assert convex_hull_area(np.array([[0, 0], [2, 0], [2, 1], [0, 1], [1, 0.5]])) == pytest.approx(2.0)
    assert convex_hull_area(np.array([[0, 0], [1, 1], [2, 2]])) == 0.0


def test_scale_keys_match_the_checkpoint_format() -> None:
    assert [scale_key(s) for s in (1, 1.0, 0.5, 0.25, 0.125)] == ["1", "1", "0-5", "0-25", "0-125"]


def identity_tps(batch: int = 2) -> TPSTransform:
    return TPSTransform(
        torch.eye(2, 3).expand(batch, 2, 3).clone(),
        make_coordinate_grid(5, 5).view(1, 25, 2),
        torch.zeros(batch, 1, 25),
    )


def test_identity_tps_returns_the_image_and_unit_jacobian() -> None:
    # The grid has pixel centres at +-1 while grid_sample(align_corners=False) puts +-1 on pixel edges
    # (the original code's convention, kept for its numbers): identity is exact on points and
    # within a fraction of a pixel on smooth images.
    grid = make_coordinate_grid(32, 40)
    frame = torch.exp(-((grid**2).sum(-1)) / 0.5).expand(2, 3, 32, 40)
    transform = identity_tps()
    assert (transform.transform_frame(frame) - frame).abs().max() < 0.03
    coords = torch.rand(2, 6, 2) * 2 - 1
    assert torch.allclose(transform.warp_coordinates(coords), coords, atol=1e-6)
    assert torch.allclose(transform.jacobian(coords), torch.eye(2).expand(2, 6, 2, 2), atol=1e-6)


def test_tps_jacobian_matches_finite_differences_in_float64() -> None:
    g = torch.Generator().manual_seed(0)
    params = TransformParams(sigma_affine=0.1, sigma_tps=0.05, points_tps=5)
    transform = TPSTransform.random(1, params, generator=g, like=torch.zeros((), dtype=torch.float64))
    coords = torch.rand(1, 3, 2, generator=g, dtype=torch.float64) * 1.6 - 0.8
    analytic = transform.jacobian(coords)
    eps = 1e-6
    for axis in range(2):
        step = torch.zeros_like(coords)
        step[..., axis] = eps
        numeric = (transform.warp_coordinates(coords + step) - transform.warp_coordinates(coords - step)) / (
            2 * eps
        )
        assert torch.allclose(analytic[..., :, axis], numeric, atol=1e-6)


def test_sparse_motion_gradcheck() -> None:
    kp_s = {k: v.double().requires_grad_() for k, v in random_kp(1, 2, seed=8).items()}
    kp_d = {k: v.double().requires_grad_() for k, v in random_kp(1, 2, seed=9).items()}

    def f(vs: torch.Tensor, js: torch.Tensor, vd: torch.Tensor, jd: torch.Tensor) -> torch.Tensor:
        return sparse_motions(4, 5, {"value": vs, "jacobian": js}, {"value": vd, "jacobian": jd})

    assert torch.autograd.gradcheck(f, (kp_s["value"], kp_s["jacobian"], kp_d["value"], kp_d["jacobian"]))


@pytest.mark.parametrize(("size", "scale"), [(64, 0.25), (250, 0.25), (37, 0.5), (30, 0.3)])
def test_antialias_strided_path_equals_blur_then_nearest(size: int, scale: float) -> None:
    import torch.nn.functional as F

    from engine.blocks import AntiAliasInterpolation2d

    down = AntiAliasInterpolation2d(3, scale)
    x = torch.rand(2, 3, size, size + 3)
    padded = F.pad(x, (down.ka, down.kb, down.ka, down.kb))
    reference = F.interpolate(F.conv2d(padded, down.weight, groups=3), scale_factor=(scale, scale))
    assert torch.allclose(down(x), reference, atol=1e-6)

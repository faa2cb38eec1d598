"""Loss terms of the trainer: equivariance invariants, SSIM, and finite values for every term."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from engine import build_models, load_config
from engine.config import TransformParams
from engine.tps import TPSTransform
from trainer.losses import (
    DiscriminatorFullModel,
    GeneratorFullModel,
    ImagePyramid,
    equivariance_losses,
    l1_ssim_loss,
    ssim,
)


def identity_transform(batch: int, points: int = 5) -> TPSTransform:
    random = TPSTransform.random(batch, TransformParams(sigma_affine=0.0, sigma_tps=0.0, points_tps=points))
    return TPSTransform(
        torch.eye(2, 3).repeat(batch, 1, 1), random.control_points, torch.zeros(batch, 1, points**2)
    )


def test_equivariance_is_zero_for_identity_transform() -> None:
    torch.manual_seed(0)
    kp = {
        "value": torch.rand(2, 5, 2) * 2 - 1,
        "jacobian": torch.eye(2).repeat(2, 5, 1, 1) + 0.1 * torch.randn(2, 5, 2, 2),
    }
    losses = equivariance_losses(kp, kp, identity_transform(2), weight_value=10, weight_jacobian=10)
    assert losses["equivariance_value"].item() == 0.0
    assert losses["equivariance_jacobian"].item() == pytest.approx(0.0, abs=1e-6)


def test_equivariance_is_positive_for_mismatched_keypoints() -> None:
    kp = {"value": torch.zeros(1, 5, 2), "jacobian": torch.eye(2).repeat(1, 5, 1, 1)}
    moved = {"value": kp["value"] + 0.1, "jacobian": kp["jacobian"] * 1.2}
    losses = equivariance_losses(kp, moved, identity_transform(1), weight_value=10, weight_jacobian=10)
    assert losses["equivariance_value"].item() == pytest.approx(1.0, rel=1e-5)  # 10 * mean |0.1|
    assert losses["equivariance_jacobian"].item() == pytest.approx(
        10 * 0.2 / 2, rel=1e-5
    )  # diagonal 0.2, off 0


def test_ssim_is_one_for_identical_images_and_lower_otherwise() -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 32, 32)
    assert ssim(x, x).item() == pytest.approx(1.0, abs=1e-5)
    assert ssim(x, torch.rand(2, 3, 32, 32)).item() < 0.2
    tiny = torch.rand(1, 3, 4, 4)  # a small pyramid level shrinks the window
    assert ssim(tiny, tiny).item() == pytest.approx(1.0, abs=1e-5)


def test_l1_ssim_loss_is_zero_for_a_perfect_prediction() -> None:
    pyramid = ImagePyramid((1.0, 0.5), 3)
    real = pyramid(torch.rand(1, 3, 32, 32))
    assert l1_ssim_loss(real, real, (10.0,) * 5).item() == pytest.approx(0.0, abs=1e-4)
    fake = {k: (v + 0.1).clamp(0, 1) for k, v in real.items()}
    assert l1_ssim_loss(real, fake, (10.0,) * 5).item() > 0.5


def test_every_loss_term_is_finite_with_gan(tiny_config_path: Path) -> None:
    config = load_config(tiny_config_path)
    weights = dataclasses.replace(config.train_params.loss_weights, generator_gan=1.0)
    config = dataclasses.replace(
        config,
        train_params=dataclasses.replace(
            config.train_params, loss_weights=weights, perceptual_backend="pyramid_l1_ssim"
        ),
    )
    torch.manual_seed(0)
    models = build_models(config, with_discriminator=True)
    full = GeneratorFullModel(models.kp_detector, models.generator, config, "pyramid_l1_ssim", None)
    source, driving = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    losses, generated = full(source, driving, transform_seed=1, discriminator=models.discriminator)
    assert set(losses) == {
        "reconstruction",
        "gen_gan",
        "feature_matching",
        "equivariance_value",
        "equivariance_jacobian",
    }
    disc = DiscriminatorFullModel(models.discriminator, config)(
        driving, generated["prediction"], generated["kp_driving"]
    )
    for name, value in {**losses, **disc}.items():
        assert math.isfinite(value.item()), name
    total = sum(losses.values())
    total.backward()
    grads = [p.grad for p in models.generator.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)

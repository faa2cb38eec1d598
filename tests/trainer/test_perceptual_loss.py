"""The paper's VGG-19 perceptual loss, run for real with random weights in torchvision's file layout,
and the error when the 'vgg19' backend is asked for without its network."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from engine import build_models, load_config
from engine.checkpoint import load_checkpoint
from engine.config import FommConfig
from engine.errors import MissingWeightsError
from tests.trainer.conftest import read_events, step_losses
from tests.trainer.test_training import options
from trainer.loop import train
from trainer.losses import GeneratorFullModel, perceptual_loss
from trainer.vgg import VGG19_FILE, load_vgg19, resolve_vgg19_weights, vgg19_features


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A $TORCH_HOME whose hub/checkpoints/ holds random VGG-19 weights saved as torchvision saves them."""
    home = tmp_path_factory.mktemp("torch_home")
    folder = home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    state = {f"features.{k}": v for k, v in vgg19_features().state_dict().items()}
    torch.save(state, folder / VGG19_FILE)
    return home


def vgg19_config(tiny_config_path: Path, perceptual: tuple[float, ...] | None = None) -> FommConfig:
    config = load_config(tiny_config_path)
    tp = config.train_params
    weights = tp.loss_weights
    if perceptual is not None:
        weights = dataclasses.replace(weights, perceptual=perceptual)
    tp = dataclasses.replace(tp, perceptual_backend="vgg19", loss_weights=weights)
    return dataclasses.replace(config, train_params=tp)


def test_training_steps_with_the_vgg19_perceptual_loss(
    torch_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tiny_config_path: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    run_dir = tmp_path / "run"
    opts = options(
        tiny_config_path, video_dataset, frame_cache, run_dir, max_steps=2, perceptual_backend="vgg19"
    )
    assert train(opts) == 0
    losses = step_losses(run_dir)
    assert sorted(losses) == [1, 2]
    for terms in losses.values():
        assert "perceptual" in terms and "reconstruction" not in terms
        assert math.isfinite(terms["perceptual"]) and terms["perceptual"] > 0
    assert losses[1]["perceptual"] != losses[2]["perceptual"]  # another pair, and the networks moved
    assert read_events(run_dir)[0]["perceptual_backend"] == "vgg19"
    checkpoint = load_checkpoint(run_dir / "checkpoints" / "step-00000002.pth.tar")
    assert checkpoint["studio"]["perceptual_backend"] == "vgg19"


def test_perceptual_terms_follow_the_prediction(
    torch_home: Path, monkeypatch: pytest.MonkeyPatch, tiny_config_path: Path
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    vgg = load_vgg19(resolve_vgg19_weights(None))
    config = vgg19_config(tiny_config_path)
    torch.manual_seed(0)
    models = build_models(config)
    full = GeneratorFullModel(models.kp_detector, models.generator, config, "vgg19", vgg)
    source, driving = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    losses, generated = full(source, driving, transform_seed=1)
    assert math.isfinite(losses["perceptual"].item()) and losses["perceptual"].item() > 0

    losses["perceptual"].backward()
    grads = [p.grad for p in models.generator.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)

    with torch.no_grad():
        models.generator.final.bias.add_(0.2)  # a brighter prediction
    moved, regenerated = full(source, driving, transform_seed=1)
    assert not torch.equal(regenerated["prediction"], generated["prediction"])
    assert moved["perceptual"].item() != pytest.approx(losses["perceptual"].item(), rel=1e-4)

    weights = config.train_params.loss_weights.perceptual
    real = full.pyramid(driving)
    assert perceptual_loss(vgg, real, real, weights).item() == 0.0  # a perfect prediction costs nothing


def test_vgg19_backend_without_its_network_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_config_path: Path
) -> None:
    home = tmp_path / "torch_home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    config = vgg19_config(tiny_config_path)
    models = build_models(config)
    folder = home / "hub" / "checkpoints"
    with pytest.raises(MissingWeightsError, match=rf"{VGG19_FILE} \(put it in {folder}"):
        GeneratorFullModel(models.kp_detector, models.generator, config, "vgg19", None)
    # The weights-free backend is the explicit alternative; a zero perceptual weight needs no network.
    GeneratorFullModel(models.kp_detector, models.generator, config, "pyramid_l1_ssim", None)
    unweighted = vgg19_config(tiny_config_path, perceptual=(0.0,) * 5)
    GeneratorFullModel(models.kp_detector, models.generator, unweighted, "vgg19", None)

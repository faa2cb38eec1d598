"""VGG-19 loader: torchvision's key layout loads strictly; a missing file is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.checkpoint import load_checkpoint
from engine.errors import CheckpointError, MissingWeightsError
from trainer.vgg import VGG19_FILE, default_vgg19_path, load_vgg19, resolve_vgg19_weights, vgg19_features


@pytest.fixture(scope="module")
def fake_vgg_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random weights in torchvision's layout: features.N.* plus a (shrunk) classifier that must be ignored."""
    torch.manual_seed(0)
    state = {f"features.{k}": v for k, v in vgg19_features().state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4, 4)
    state["classifier.0.bias"] = torch.zeros(4)
    path = tmp_path_factory.mktemp("vgg") / VGG19_FILE
    torch.save(state, path)
    return path


def test_loads_torchvision_layout(fake_vgg_file: Path) -> None:
    model = load_vgg19(fake_vgg_file)
    expected = load_checkpoint(fake_vgg_file)
    assert torch.equal(model.features[0].weight, expected["features.0.weight"])
    assert torch.equal(model.features[34].bias, expected["features.34.bias"])
    maps = model(torch.rand(1, 3, 32, 32))
    assert [m.shape[1] for m in maps] == [64, 128, 256, 512, 512]
    assert [m.shape[-1] for m in maps] == [32, 16, 8, 4, 2]
    assert not any(p.requires_grad for p in model.parameters())


def test_wrong_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pth"
    torch.save({"features.0.weight": torch.zeros(8, 3, 3, 3)}, path)
    with pytest.raises(CheckpointError, match=r"other\.pth: not a VGG-19 weight file"):
        load_vgg19(path)


def test_missing_file_names_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    expected = tmp_path / "torch_home" / "hub" / "checkpoints" / VGG19_FILE
    assert default_vgg19_path() == expected
    with pytest.raises(MissingWeightsError, match=rf"{VGG19_FILE}.*put it in {expected.parent}"):
        resolve_vgg19_weights(None)
    explicit = tmp_path / "weights" / "mine.pth"
    with pytest.raises(MissingWeightsError, match=r"weights/mine\.pth"):
        resolve_vgg19_weights(explicit)


def test_explicit_and_default_paths_resolve(fake_vgg_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_vgg19_weights(fake_vgg_file) == fake_vgg_file
    monkeypatch.setenv("TORCH_HOME", str(fake_vgg_file.parent / "home"))
    default = default_vgg19_path()
    default.parent.mkdir(parents=True)
    default.symlink_to(fake_vgg_file)
    assert resolve_vgg19_weights(None) == default

"""The packaged configs are the originals, and a checkpoint's own tensors tell which config it needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine import load_config
from fomm_studio.config_catalog import (
    CONFIG_NAMES,
    NoConfigFitsError,
    detect_config,
    packaged_configs,
    resolve_config_for,
)
from fomm_studio.model_registry import DEFAULT_CHECKPOINT
from tests.fomm_studio.original_checkpoints import original_checkpoint

ORIGINALS = [name for name in CONFIG_NAMES if name != "lite-256"]


@pytest.fixture(scope="module")
def manifest(golden_dir: Path) -> dict:
    return json.loads((golden_dir / "state_dict_manifest.json").read_text())


@pytest.mark.parametrize("name", ORIGINALS)
def test_packaged_originals_hold_the_published_settings(manifest: dict, name: str) -> None:
    path = packaged_configs()[name]
    assert yaml.safe_load(path.read_text()) == manifest["configs"][f"{name}.yaml"]["config"]
    load_config(path)  # and our parser takes them unchanged


@pytest.mark.parametrize(
    ("name", "file_name", "with_discriminator"),
    [
        ("vox-adv-256", "checkpoint.pth.tar", True),  # the discriminator's spectral norm decides
        ("vox-256", "checkpoint.pth.tar", True),
        ("vox-adv-256", "vox-adv-cpk.pth.tar", False),  # no discriminator: the file name decides
        ("taichi-256", "model.pth.tar", False),
        ("mgif-256", "mgif-cpk.pth.tar", False),
        ("bair-256", "bair-cpk.pth.tar", False),
    ],
)
def test_the_checkpoints_own_tensors_pick_its_config(
    tmp_path: Path, name: str, file_name: str, with_discriminator: bool
) -> None:
    path = original_checkpoint(tmp_path / file_name, name, with_discriminator)
    match = detect_config(path)
    if match.note is None:
        assert match.name == name
    else:  # several configs share these shapes: the name decided, or the first with a note
        assert name in match.note and (match.name == name or "first of them" in match.note)


def test_the_embedded_default_is_detected_as_lite() -> None:
    match = detect_config(DEFAULT_CHECKPOINT)
    assert match.name == "lite-256" and match.note is None
    path, message = resolve_config_for(DEFAULT_CHECKPOINT, None)
    assert (
        path == packaged_configs()["lite-256"]
        and message == "config: lite-256 (detected from the checkpoint)"
    )
    assert resolve_config_for(DEFAULT_CHECKPOINT, "mine.yaml") == (Path("mine.yaml"), None)


def test_a_checkpoint_of_no_packaged_config_says_what_it_looks_like(golden_dir: Path) -> None:
    with pytest.raises(
        NoConfigFitsError,
        match=r"fits none of the packaged configs \(10 keypoints, Jacobians, "
        r"generator block_expansion 8, kp_detector block_expansion 8\); open it with its own YAML config",
    ):
        detect_config(golden_dir / "small" / "checkpoint.pth.tar")

"""Modules built from every original config have exactly the original state-dict keys and shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import build_models, config_from_dict

CONFIG_NAMES = [
    "bair-256.yaml",
    "fashion-256.yaml",
    "mgif-256.yaml",
    "nemo-256.yaml",
    "taichi-256.yaml",
    "taichi-adv-256.yaml",
    "vox-256.yaml",
    "vox-adv-256.yaml",
]


@pytest.fixture(scope="module")
def manifest(golden_dir: Path) -> dict:
    return json.loads((golden_dir / "state_dict_manifest.json").read_text())


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_state_dict_layout_matches_original(manifest: dict, name: str) -> None:
    entry = manifest["configs"][name]
    models = build_models(config_from_dict(entry["config"], name), with_discriminator=True)
    for module_name in ("kp_detector", "generator", "discriminator"):
        module = getattr(models, module_name)
        ours = {k: list(v.shape) for k, v in module.state_dict().items()}
        assert ours == entry[module_name], f"{name} {module_name}: layout differs"
        params = sum(p.numel() for p in module.parameters())
        assert params == entry["param_counts"][module_name], f"{name} {module_name}: parameter count"

"""The packaged configs, and which of them a checkpoint was trained with, read from its own tensors.

A user who downloads `vox-adv-cpk.pth.tar` should not have to know which of eight YAML files goes
with it. Every packaged config is built on the meta device (shapes only, no memory) and compared
with the checkpoint's state-dict keys and shapes: keypoint detector and generator, and the
discriminator when the checkpoint has one (that is what tells `vox-256` from `vox-adv-256`: the
adversarial configs use spectral norm). Where several configs still fit, the one whose name the
checkpoint's file name echoes wins (`vox-adv-cpk` -> `vox-adv-256`), else the first, with a note.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine import FommModels, build_models, load_checkpoint, load_config, load_models
from engine.checkpoint import model_state_dicts
from engine.errors import FommError
from engine.models import models_from_checkpoint
from fomm_studio.paths import CONFIGS_DIR

# The originals first (in the order of the authors' README), then ours.
CONFIG_NAMES = (
    "vox-256",
    "vox-adv-256",
    "taichi-256",
    "taichi-adv-256",
    "mgif-256",
    "bair-256",
    "fashion-256",
    "nemo-256",
    "lite-256",
)

Layout = dict[str, tuple[int, ...]]


class NoConfigFitsError(FommError):
    """No packaged config has the checkpoint's keys and shapes."""


@dataclass(frozen=True)
class ConfigMatch:
    """The config a checkpoint fits. `note` says how a tie between several configs was broken."""

    name: str
    path: Path
    note: str | None = None

    @property
    def message(self) -> str:
        """The line a command prints: which config was chosen, and how a tie was broken."""
        text = f"config: {self.name} (detected from the checkpoint)"
        return text if self.note is None else f"{text}; {self.note}"


def packaged_configs() -> dict[str, Path]:
    """Name -> path of every packaged YAML config."""
    return {name: CONFIGS_DIR / f"{name}.yaml" for name in CONFIG_NAMES}


@functools.cache
def _config_layouts(name: str) -> dict[str, Layout]:
    """Module name -> {state-dict key: shape} of the networks a packaged config builds."""
    models = build_models(load_config(packaged_configs()[name]), with_discriminator=True, device="meta")
    modules = {"kp_detector": models.kp_detector, "generator": models.generator}
    if models.discriminator is not None:
        modules["discriminator"] = models.discriminator
    return {key: {k: tuple(v.shape) for k, v in m.state_dict().items()} for key, m in modules.items()}


def _layout(state_dict: Any) -> Layout:
    if not isinstance(state_dict, dict):
        return {}
    return {k: tuple(v.shape) for k, v in state_dict.items() if isinstance(v, torch.Tensor)}


def _fits(checkpoint: dict[str, Layout], config: dict[str, Layout]) -> bool:
    return all(layout == config.get(module) for module, layout in checkpoint.items())


def _name_hint(checkpoint_path: Path, candidates: list[str]) -> str | None:
    """The longest candidate whose stem (without '-256') the file name contains."""
    file_name = checkpoint_path.name.lower()
    echoed = [c for c in candidates if c.removesuffix("-256") in file_name]
    return max(echoed, key=len) if echoed else None


def describe_checkpoint(layouts: dict[str, Layout]) -> str:
    """What a checkpoint looks like, for an error message: keypoints and channel widths."""
    kp = layouts.get("kp_detector", {})
    gen = layouts.get("generator", {})
    parts = []
    if "kp.weight" in kp:
        parts.append(f"{kp['kp.weight'][0]} keypoints")
    parts.append("Jacobians" if "jacobian.weight" in kp else "no Jacobians")
    if "first.conv.weight" in gen:  # the generator's first block has block_expansion channels
        parts.append(f"generator block_expansion {gen['first.conv.weight'][0]}")
    first_down = "predictor.encoder.down_blocks.0.conv.weight"
    if first_down in kp:  # the hourglass' first down block has twice block_expansion
        parts.append(f"kp_detector block_expansion {kp[first_down][0] // 2}")
    return ", ".join(parts)


def detect_config(checkpoint_path: str | Path) -> ConfigMatch:
    """The packaged config the checkpoint was trained with; `NoConfigFitsError` says what it looks like."""
    return config_of(load_checkpoint(checkpoint_path), checkpoint_path)


def config_of(checkpoint: Mapping[str, Any], checkpoint_path: str | Path) -> ConfigMatch:
    """`detect_config` of a checkpoint already read from `checkpoint_path` (its name breaks ties)."""
    path = Path(checkpoint_path)
    entries = model_state_dicts(checkpoint, path)
    layouts = {
        module: _layout(sd) for module, sd in entries.items() if module in ("kp_detector", "generator")
    }
    full = dict(layouts)
    if "discriminator" in entries:
        full["discriminator"] = _layout(entries["discriminator"])
    fitting = [name for name in CONFIG_NAMES if _fits(layouts, _config_layouts(name))]
    if not fitting:
        raise NoConfigFitsError(
            f"{path}: fits none of the packaged configs ({describe_checkpoint(layouts)}); "
            "open it with its own YAML config (model picker 'Open model > Config + checkpoint' or --config)"
        )
    if len(fitting) > 1 and "discriminator" in full:  # e.g. vox-256 vs vox-adv-256 (spectral norm)
        fitting = [n for n in fitting if _fits(full, _config_layouts(n))] or fitting
    if len(fitting) == 1:
        return ConfigMatch(fitting[0], packaged_configs()[fitting[0]])
    hinted = _name_hint(path, fitting)
    chosen = hinted or fitting[0]
    how = "its file name" if hinted else "the first of them"
    note = f"{len(fitting)} configs fit ({', '.join(fitting)}); chose {chosen} by {how}"
    return ConfigMatch(chosen, packaged_configs()[chosen], note)


def resolve_config_for(
    checkpoint_path: str | Path, config_path: str | Path | None
) -> tuple[Path, str | None]:
    """The config to use: the one given, else the detected one with a line saying which was chosen."""
    if config_path is not None:
        return Path(config_path), None
    match = detect_config(checkpoint_path)
    return match.path, match.message


def load_with_detected_config(
    checkpoint_path: str | Path, config_path: str | Path | None, device: str = "cpu"
) -> tuple[FommModels, str | None]:
    """The models of a checkpoint, with the config given or else detected from its tensors; the file
    is read once either way. Returns the line saying which config was detected (None when given)."""
    if config_path is not None:
        return load_models(config_path, checkpoint_path, device=device), None
    checkpoint = load_checkpoint(checkpoint_path)
    match = config_of(checkpoint, checkpoint_path)
    return models_from_checkpoint(match.path, checkpoint, checkpoint_path, device), match.message

"""Checkpoints with the exact keys and shapes of the packaged configs' networks, cheap to write.

Every tensor views one shared storage, so a 60M-parameter layout costs only its largest tensor on
disk. `random` fills it with small random numbers and gives the keypoint detector the identity
Jacobian its own initialisation has (and BatchNorm a unit variance), so the networks run and give
finite pictures: a random-weight checkpoint of an original structure.
"""

from __future__ import annotations

from pathlib import Path

import torch

from engine import build_models, load_config, save_checkpoint
from fomm_studio.config_catalog import packaged_configs


def original_checkpoint(
    path: Path, name: str, with_discriminator: bool = False, random: bool = False
) -> Path:
    """Write a checkpoint of packaged config `name`'s networks at `path` (zeros unless `random`)."""
    models = build_models(load_config(packaged_configs()[name]), with_discriminator=True, device="meta")
    modules = {"kp_detector": models.kp_detector, "generator": models.generator}
    if with_discriminator and models.discriminator is not None:
        modules["discriminator"] = models.discriminator
    shapes = {m: {k: v.shape for k, v in net.state_dict().items()} for m, net in modules.items()}
    largest = max(s.numel() for layout in shapes.values() for s in layout.values())
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(largest, generator=generator) * 0.02 if random else torch.zeros(largest)
    entries = {m: {k: base[: s.numel()].view(s) for k, s in layout.items()} for m, layout in shapes.items()}
    if random:
        for key, shape in shapes["kp_detector"].items():
            if key == "jacobian.weight":
                entries["kp_detector"][key] = torch.zeros(shape)
            elif key == "jacobian.bias":  # [1, 0, 0, 1] per keypoint: the identity Jacobian
                entries["kp_detector"][key] = torch.tensor([1.0, 0.0, 0.0, 1.0]).repeat(shape[0] // 4)
        for layout_name, layout in shapes.items():
            for key, shape in layout.items():
                if key.endswith("running_var"):
                    entries[layout_name][key] = torch.ones(shape)
    save_checkpoint(path, {**entries, "epoch": 1})
    return path

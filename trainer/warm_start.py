"""Start a new run from another checkpoint's weights (`fomm train --init-from CKPT`).

Fine-tuning is how most users get a good model: start from the default model or an original vox
checkpoint and train on their own videos. The other checkpoint may belong to a config that differs
in places (say a wider generator): every tensor whose name and shape fit is taken, the rest keeps
its fresh initialisation, and the report says which is which so nothing is skipped silently.
Optimizer and scheduler states are not taken: this starts a run, it does not resume one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from engine.checkpoint import load_checkpoint, model_state_dicts
from engine.errors import CheckpointMismatchError


@dataclass(frozen=True)
class ModuleWarmStart:
    """What one network took from the checkpoint."""

    name: str
    taken: int
    total: int
    mis_shaped: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.name} {self.taken}/{self.total} tensors"
        if self.mis_shaped:
            text += f" ({len(self.mis_shaped)} of another shape kept fresh, e.g. {self.mis_shaped[0]})"
        if self.absent:
            text += f" ({len(self.absent)} not in the checkpoint kept fresh, e.g. {self.absent[0]})"
        return text


@dataclass(frozen=True)
class WarmStartReport:
    """What `--init-from` took from a checkpoint, module by module (logged and in events.jsonl)."""

    path: str
    modules: list[ModuleWarmStart]

    @property
    def taken(self) -> int:
        return sum(m.taken for m in self.modules)

    def summary(self) -> str:
        return f"initialised from {self.path}: " + "; ".join(m.summary() for m in self.modules)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "modules": {
                m.name: {
                    "taken": m.taken,
                    "total": m.total,
                    "mis_shaped": m.mis_shaped,
                    "absent": m.absent,
                }
                for m in self.modules
            },
        }


@dataclass(frozen=True)
class InitWeights:
    """The tensors a new run takes from a checkpoint, per network, and the report on them."""

    report: WarmStartReport
    tensors: dict[str, dict[str, torch.Tensor]]


def state_shapes(models: Mapping[str, nn.Module]) -> dict[str, dict[str, torch.Size]]:
    """Module name -> {state-dict key: shape}, what a checkpoint's tensors must fit."""
    return {name: {k: v.shape for k, v in m.state_dict().items()} for name, m in models.items()}


def plan_warm_start(path: str | Path, shapes: Mapping[str, Mapping[str, torch.Size]]) -> InitWeights:
    """Which tensors of the checkpoint at `path` fit networks of these state-dict shapes.

    Raises CheckpointMismatchError when not a single tensor fits: that is another model family,
    and training on from random weights would only hide the mistake.
    """
    entries = model_state_dicts(load_checkpoint(path), path)
    reports, tensors = [], {}
    for name, own in shapes.items():
        theirs = entries.get(name)
        if theirs is None:
            reports.append(ModuleWarmStart(name, 0, len(own), absent=["(no entry)"]))
            continue
        taken: dict[str, torch.Tensor] = {}
        mis_shaped, absent = [], []
        for key, shape in own.items():
            value = theirs.get(key)
            if not isinstance(value, torch.Tensor):
                absent.append(key)
            elif value.shape != shape:
                mis_shaped.append(f"{key} {tuple(value.shape)} != {tuple(shape)}")
            else:
                taken[key] = value
        tensors[name] = taken
        reports.append(ModuleWarmStart(name, len(taken), len(own), mis_shaped, absent))
    report = WarmStartReport(str(path), reports)
    if report.taken == 0:
        mis_shaped = [k for m in reports for k in m.mis_shaped]
        raise CheckpointMismatchError(
            f"{path}: --init-from: no tensor of the checkpoint fits this config "
            f"(e.g. {(mis_shaped or ['names differ'])[0]}); is it a checkpoint of another kind of model?",
            [k for m in reports for k in m.absent],
            [],
            mis_shaped,
        )
    return InitWeights(report, tensors)


def apply_warm_start(init: InitWeights, models: Mapping[str, nn.Module]) -> None:
    """Copy the planned tensors into `models`; everything else keeps its fresh initialisation."""
    for name, taken in init.tensors.items():
        own = models[name].state_dict()
        own.update({k: v.to(dtype=own[k].dtype) for k, v in taken.items()})
        models[name].load_state_dict(own, strict=True)

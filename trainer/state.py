"""Everything a run needs to resume, packed into a checkpoint that loads with `weights_only=True`.

Model and optimizer entries keep the original FOMM layout; the extra 'studio' entry holds the step,
the position in the epoch, scheduler states, RNG states (as tensors and lists), the loss scaler of
fp16 training, the config and the best loss so far. Tensors are loaded onto the CPU and copied from
there onto each parameter's device, so a run saved on a GPU resumes on the CPU and the other way round.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import MultiStepLR

from engine.checkpoint import load_checkpoint, load_state_dict_strict
from engine.errors import CheckpointError
from trainer.precision import load_scaler_state, scaler_state


@dataclass
class TrainState:
    """Counters of a run. `batch_in_epoch` batches of epoch `epoch` are done (0 <= it < per epoch)."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best_loss: float | None = None
    recent_reconstruction: list[float] = field(default_factory=list)


@dataclass
class Trainables:
    """The networks, their optimizers and schedulers, by the original checkpoint names."""

    models: dict[str, nn.Module]
    optimizers: dict[str, Optimizer]
    schedulers: dict[str, MultiStepLR]


def rng_state() -> dict[str, Any]:
    """torch / numpy / python global RNG states as tensors, lists and numbers."""
    name, keys, pos, has_gauss, cached = np.random.get_state()  # type: ignore[misc]
    version, py_state, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "numpy": {
            "name": str(name),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": {"version": int(version), "state": [int(v) for v in py_state], "gauss": gauss},
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore torch's, numpy's and Python's generators (the inverse of `rng_state`), for exact resume."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(
        (n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss"]))


def scheduler_state(scheduler: MultiStepLR) -> dict[str, Any]:
    """MultiStepLR state with its Counter of milestones as a plain dict (a Counter is not weights-only safe)."""
    state = scheduler.state_dict()
    state["milestones"] = {int(k): int(v) for k, v in state["milestones"].items()}
    return state


def build_entries(
    trainables: Trainables,
    state: TrainState,
    config: dict[str, Any],
    extra: dict[str, Any],
    scaler: torch.amp.GradScaler | None = None,
) -> dict[str, Any]:
    """Checkpoint entries: original layout + 'studio' metadata (the scaler's state empty when loss
    scaling is off)."""
    entries: dict[str, Any] = {name: model.state_dict() for name, model in trainables.models.items()}
    for name, optimizer in trainables.optimizers.items():
        entries[f"optimizer_{name}"] = optimizer.state_dict()
    entries["epoch"] = state.epoch
    entries["studio"] = {
        "step": state.step,
        "epoch": state.epoch,
        "batch_in_epoch": state.batch_in_epoch,
        "best_loss": state.best_loss,
        "recent_reconstruction": list(state.recent_reconstruction),
        "schedulers": {k: scheduler_state(s) for k, s in trainables.schedulers.items()},
        "rng": rng_state(),
        "grad_scaler": scaler_state(scaler) if scaler is not None else {},
        "config": config,
        **extra,
    }
    return entries


def restore(
    path: Path, trainables: Trainables, scaler: torch.amp.GradScaler | None = None
) -> tuple[TrainState, dict[str, Any]]:
    """Load models, optimizers, schedulers, the loss scaler and RNG from a training checkpoint; returns
    counters + studio dict.

    Loaded on the CPU: `load_state_dict` copies onto each parameter's device.
    """
    checkpoint = load_checkpoint(path, map_location="cpu")
    studio = checkpoint.get("studio")
    if not isinstance(studio, dict):
        raise CheckpointError(
            f"{path}: no 'studio' entry; only checkpoints written by `fomm train` can be resumed"
        )
    for name, model in trainables.models.items():
        if name not in checkpoint:
            raise CheckpointError(f"{path}: no '{name}' entry to resume from")
        load_state_dict_strict(model, checkpoint[name], name, path)
    for name, optimizer in trainables.optimizers.items():
        key = f"optimizer_{name}"
        if key not in checkpoint:
            raise CheckpointError(f"{path}: no '{key}' entry to resume from")
        optimizer.load_state_dict(checkpoint[key])
    for name, scheduler in trainables.schedulers.items():
        sched = dict(studio["schedulers"][name])
        sched["milestones"] = Counter(sched["milestones"])
        scheduler.load_state_dict(sched)
    if scaler is not None:
        load_scaler_state(scaler, studio.get("grad_scaler"))
    set_rng_state(studio["rng"])
    state = TrainState(
        step=int(studio["step"]),
        epoch=int(studio["epoch"]),
        batch_in_epoch=int(studio["batch_in_epoch"]),
        best_loss=studio.get("best_loss"),
        recent_reconstruction=[float(v) for v in studio.get("recent_reconstruction", [])],
    )
    return state, studio

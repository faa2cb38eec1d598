"""Mixed precision for training on CUDA (`--amp`): the autocast dtype, the loss scaler, the float32
region every loss term runs in, and optimizer steps that cope with frozen networks.

bf16 has float32's exponent range, so gradients cannot underflow and no loss scaling is needed: it is
used wherever the GPU supports it (Ampere and newer). Older GPUs get fp16 with a `GradScaler`, whose
state goes into the checkpoint (and which reads its inf check on the host once per optimizer step). Either way only the networks run in reduced precision; every loss term
(multi-scale L1 and SSIM, VGG-19 perceptual, LSGAN, the TPS equivariance with its 2x2 inverse) is
computed in float32, where SSIM's differences of nearly equal moments and the inverse keep their
accuracy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

import torch
from torch.optim import Optimizer

AUTOCAST_DEVICES = ("cuda", "cpu")  # where torch.autocast exists (not on `meta`, the tests' GPU)


def autocast_dtype(amp: bool, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of `--amp` on `device`: bf16 where the GPU supports it, else fp16; None
    (float32 throughout) without `--amp` or off CUDA."""
    if not amp or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(dtype: torch.dtype | None, device: torch.device) -> AbstractContextManager[Any]:
    """Run the networks in `dtype` (None: as they are, float32)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def float32_region(device: torch.device) -> AbstractContextManager[Any]:
    """Autocast off: ops inside run in their inputs' dtype, so float32 inputs give float32 losses."""
    if device.type not in AUTOCAST_DEVICES:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, enabled=False)


def make_scaler(dtype: torch.dtype | None) -> torch.amp.GradScaler:
    """Loss scaling for fp16 only (bf16 and float32 gradients do not underflow): disabled otherwise,
    when its calls pass straight through."""
    return torch.amp.GradScaler("cuda", enabled=dtype == torch.float16)


def has_gradients(optimizer: Optimizer) -> bool:
    """Whether any parameter of `optimizer` got a gradient this step (a frozen network's got none)."""
    return any(p.grad is not None for group in optimizer.param_groups for p in group["params"])


def step_optimizers(scaler: torch.amp.GradScaler, optimizers: Iterable[Optimizer]) -> int:
    """`scaler.step` each optimizer whose parameters got gradients; returns how many stepped.

    A frozen network (learning rate 0: requires_grad off) has no gradients, so the scaler would find
    no inf checks for its optimizer and refuse to step it; skipping it is what Adam would do anyway.
    """
    stepped = 0
    for optimizer in optimizers:
        if has_gradients(optimizer):
            scaler.step(optimizer)
            stepped += 1
    return stepped


def scaler_state(scaler: torch.amp.GradScaler) -> dict[str, float | int]:
    """The scaler's state for the checkpoint: plain numbers (empty when loss scaling is off)."""
    return dict(scaler.state_dict())


def load_scaler_state(scaler: torch.amp.GradScaler, state: dict[str, Any] | None) -> None:
    """Restore the loss scale and its growth counter; a run saved without loss scaling (float32, bf16,
    or older checkpoints) leaves a fresh scaler as it is."""
    if scaler.is_enabled() and state:
        scaler.load_state_dict(state)

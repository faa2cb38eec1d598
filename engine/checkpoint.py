"""Checkpoint I/O in one place: the original `.pth.tar` layout, loaded with `weights_only=True`.

Layout: {'generator': sd, 'kp_detector': sd, 'discriminator'?: sd, 'optimizer_generator'?: ...,
'optimizer_kp_detector'?, 'optimizer_discriminator'?, 'epoch'?} plus, for FOMM Studio's own runs,
optional extra entries (e.g. 'studio'). Unpickling is restricted to tensors and plain containers, so
a file carrying code is refused without running it.
"""

from __future__ import annotations

import io
import logging
import pickle
import pickletools
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.atomic import atomic_write_bytes
from engine.errors import CheckpointError, CheckpointMismatchError

MODEL_KEYS = ("generator", "kp_detector", "discriminator")
# One wording for every file torch cannot read, whatever torch's own (internal) reason was.
UNREADABLE = "not a readable checkpoint (corrupt, truncated, or not a .pth.tar file)"

log = logging.getLogger(__name__)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The only `torch.load` of FOMM Studio. Raises `CheckpointError` naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: checkpoint file is empty")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        holds_code, detail = _unpickling_problem(exc)
        if holds_code or _names_foreign_code(path):
            reason = "it contains Python objects or code that a weights-only load refuses"
            raise CheckpointError(f"{path}: not a safe checkpoint: {reason}") from None
        log.debug("%s: unpickling failed: %s", path, detail)
        raise CheckpointError(f"{path}: {UNREADABLE}") from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile, OSError, IndexError, KeyError) as exc:
        log.debug("%s: torch.load failed: %r", path, exc)  # torch's own words, for --debug
        raise CheckpointError(f"{path}: {UNREADABLE}") from None
    if not isinstance(data, dict):
        raise CheckpointError(
            f"{path}: not a FOMM checkpoint (top level is {type(data).__name__}, not a dict)"
        )
    return data


# Phrases of torch's weights-only unpickler when a file names a class or function to call (code);
# anything else it refuses (e.g. "Unsupported operand 250") is a damaged file, not a hostile one.
_CODE_PHRASES = ("GLOBAL", "Can only create", "Can only build", "reduce")


# Modules a legitimate checkpoint's pickle may name (torch's tensor rebuilders, OrderedDict).
_CHECKPOINT_MODULES = ("torch", "collections", "_codecs", "numpy")


def _names_foreign_code(path: Path) -> bool:
    """Whether the file is a plain pickle naming a function or class outside torch's checkpoint
    vocabulary. Read with `pickletools.genops`, which lists opcodes and runs nothing: the weights-only
    unpickler stops a plain protocol-4 pickle at its FRAME opcode before it sees the code."""
    modules: list[str] = []
    strings: list[str] = []  # recent string pushes: STACK_GLOBAL takes its module from them
    try:
        with path.open("rb") as stream:
            for opcode, arg, _pos in pickletools.genops(stream):
                if isinstance(arg, str) and "UNICODE" in opcode.name:
                    strings = [*strings[-1:], arg]
                elif opcode.name in ("GLOBAL", "INST") and isinstance(arg, str):
                    modules.append(arg.split(" ", 1)[0])
                elif opcode.name == "STACK_GLOBAL":
                    modules.append(strings[0] if len(strings) == 2 else "?")
    except (ValueError, EOFError, UnicodeDecodeError, OSError):
        pass  # not a pickle (or damaged past what was read): judge by what was seen
    return any(module.split(".")[0] not in _CHECKPOINT_MODULES for module in modules)


def _unpickling_problem(exc: pickle.UnpicklingError) -> tuple[bool, str]:
    """(whether the file asks to run code, the unpickler's own one-line reason)."""
    text = str(exc)
    detail = text.split("WeightsUnpickler error:", 1)[-1].strip()
    first = detail.splitlines()[0] if detail else "unpickling failed"
    return any(phrase in detail for phrase in _CODE_PHRASES), first


def model_state_dicts(checkpoint: Mapping[str, Any], path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """The model entries of a checkpoint; a file without 'generator' and 'kp_detector' is refused."""
    missing = [k for k in ("generator", "kp_detector") if k not in checkpoint]
    if missing:
        raise CheckpointError(
            f"{path}: not a FOMM checkpoint: no {' or '.join(repr(k) for k in missing)} entry "
            f"(top-level keys: {sorted(map(str, checkpoint))[:8]})"
        )
    return {k: checkpoint[k] for k in MODEL_KEYS if k in checkpoint}


def load_state_dict_strict(
    module: nn.Module, state_dict: Mapping[str, Any], name: str, path: str | Path
) -> None:
    """Load all-or-nothing; a mismatch lists missing, unexpected and mis-shaped keys."""
    check_state_dict(module, state_dict, name, path)
    module.load_state_dict(state_dict, strict=True)


def check_state_dict(module: nn.Module, state_dict: Mapping[str, Any], name: str, path: str | Path) -> None:
    """Raise `CheckpointMismatchError` unless every key and shape fits `module` (which may live on the
    meta device: nothing is copied)."""
    if not isinstance(state_dict, Mapping):
        raise CheckpointError(f"{path}: entry '{name}' is not a state dict")
    expected = module.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    mis_shaped = [
        f"{k} {tuple(state_dict[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state_dict and isinstance(state_dict[k], torch.Tensor) and state_dict[k].shape != v.shape
    ]
    not_tensors = [k for k in expected if k in state_dict and not isinstance(state_dict[k], torch.Tensor)]
    if missing or unexpected or mis_shaped or not_tensors:
        parts = []
        for label, keys in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("mis-shaped", mis_shaped),
            ("not tensors", not_tensors),
        ):
            if keys:
                shown = ", ".join(keys[:6]) + (f", ... ({len(keys)} in all)" if len(keys) > 6 else "")
                parts.append(f"{label}: {shown}")
        raise CheckpointMismatchError(
            f"{path}: '{name}' does not fit the config ({'; '.join(parts)}); is it the checkpoint for another config?",
            missing,
            unexpected,
            mis_shaped,
        )


def save_checkpoint(path: str | Path, entries: Mapping[str, Any]) -> None:
    """Write a checkpoint atomically in the original layout (state dicts, optimizer dicts, epoch, ...)."""
    buffer = io.BytesIO()
    torch.save(dict(entries), buffer)
    payload = buffer.getvalue()
    atomic_write_bytes(path, payload)

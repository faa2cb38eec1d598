"""Slim a training checkpoint down to what inference needs, for shipping (e.g. the default model).

Keeps the original layout's `generator`, `kp_detector` and `epoch` (so the file still loads in the
original code and in `engine.load_models`) plus a small 'studio' record of where it came from;
drops optimizer states, RNG states and the discriminator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.checkpoint import load_checkpoint, model_state_dicts, save_checkpoint

KEPT_STUDIO_KEYS = ("step", "epoch", "perceptual_backend", "world_size")


def export_for_inference(source: str | Path, destination: str | Path) -> dict[str, Any]:
    """Write the slim checkpoint atomically; returns the entries written."""
    checkpoint = load_checkpoint(source)
    models = model_state_dicts(checkpoint, source)
    studio = checkpoint.get("studio")
    entries: dict[str, Any] = {
        "generator": models["generator"],
        "kp_detector": models["kp_detector"],
        "epoch": checkpoint.get("epoch", 0),
    }
    if isinstance(studio, dict):
        entries["studio"] = {k: studio[k] for k in KEPT_STUDIO_KEYS if k in studio}
        entries["studio"]["exported_from"] = Path(source).name
    save_checkpoint(destination, entries)
    return entries

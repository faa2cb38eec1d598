"""Slim checkpoints for shipping load like the full ones and give the same output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine import AnimationSession, load_checkpoint, load_models, save_checkpoint
from trainer.export import export_for_inference


def test_export_keeps_models_and_drops_training_state(
    tmp_path: Path, tiny_models, tiny_config_path: Path
) -> None:
    full = tmp_path / "full.pth.tar"
    save_checkpoint(
        full,
        {
            "generator": tiny_models.generator.state_dict(),
            "kp_detector": tiny_models.kp_detector.state_dict(),
            "optimizer_generator": {"state": {}, "param_groups": [{"lr": 1e-3, "params": [0]}]},
            "epoch": 7,
            "studio": {"step": 1234, "epoch": 7, "rng": {"torch": torch.zeros(5, dtype=torch.uint8)}},
        },
    )
    slim = tmp_path / "slim.pth.tar"
    export_for_inference(full, slim)
    data = load_checkpoint(slim)
    assert set(data) == {"generator", "kp_detector", "epoch", "studio"}
    assert data["studio"] == {"step": 1234, "epoch": 7, "exported_from": "full.pth.tar"}
    assert slim.stat().st_size < full.stat().st_size

    frame = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    outputs = []
    for path in (full, slim):
        session = AnimationSession(load_models(tiny_config_path, path))
        session.set_source(frame)
        outputs.append(session.animate(frame[::-1].copy()).image)
    np.testing.assert_array_equal(outputs[0], outputs[1])

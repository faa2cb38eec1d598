"""fomm_studio.training.config_edits: presets, the editable numbers and the edited run config."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load_config
from fomm_studio.training.config_edits import PRESETS, check_edits, read_edits, write_run_config
from fomm_studio.training.launch import LaunchError


def test_edited_config_is_written_to_the_run_folder(tmp_path: Path, tiny_config_path: Path) -> None:
    edits = read_edits(tiny_config_path)
    assert edits.frame_shape == (64, 64, 3) and edits.num_kp == 5
    changed = edits.__class__(**{**edits.__dict__, "num_kp": 7, "batch_size": 3, "lr_generator": 1e-4,
                                 "perceptual_backend": "pyramid_l1_ssim"})  # fmt: skip
    path = write_run_config(tiny_config_path, changed, tmp_path / "run")
    written = load_config(path)
    assert path == tmp_path / "run" / "config.yaml"
    assert written.model_params.common_params.num_kp == 7
    assert written.train_params.batch_size == 3 and written.train_params.lr_generator == 1e-4
    assert written.train_params.perceptual_backend == "pyramid_l1_ssim"
    assert (
        written.model_params.generator_params == load_config(tiny_config_path).model_params.generator_params
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("num_kp", 0, "num_kp must be at least 1"), ("lr_generator", -1.0, r"lr_generator must be in \[0, 1\)"),
     ("perceptual_backend", "lpips", "must be one of vgg19, pyramid_l1_ssim")],
)  # fmt: skip
def test_bad_edits_are_rejected(tiny_config_path: Path, field: str, value: object, message: str) -> None:
    edits = read_edits(tiny_config_path)
    with pytest.raises(LaunchError, match=message):
        check_edits(edits.__class__(**{**edits.__dict__, field: value}))


def test_presets_are_readable_configs() -> None:
    assert {p.path.name for p in PRESETS} == {"lite-256.yaml", "vox-256.yaml"}
    assert all(read_edits(p.path).frame_shape == (256, 256, 3) for p in PRESETS)

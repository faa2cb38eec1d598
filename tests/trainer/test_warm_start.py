"""`--init-from`: a new run starts from another checkpoint's fitting tensors, and says what it took."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import build_models, load_config, save_checkpoint
from engine.checkpoint import load_checkpoint
from engine.errors import CheckpointMismatchError
from tests.conftest import REPO_ROOT
from tests.trainer.conftest import read_events
from tests.trainer.test_training import options
from trainer.loop import train
from trainer.warm_start import WarmStartReport, apply_warm_start, plan_warm_start, state_shapes


def warm_start(path: Path, models: dict[str, torch.nn.Module]) -> WarmStartReport:
    """What `--init-from` does to freshly built networks: plan against their shapes, then copy."""
    init = plan_warm_start(path, state_shapes(models))
    apply_warm_start(init, models)
    return init.report


def wider_generator_config(tiny_config_path: Path, tmp_path: Path) -> Path:
    """The tiny config with one generator width changed: the generator fits only in part."""
    text = tiny_config_path.read_text(encoding="utf-8")
    changed = text.replace("num_bottleneck_blocks: 1", "num_bottleneck_blocks: 2", 1)
    assert changed != text
    path = tmp_path / "tiny-more-bottleneck.yaml"
    path.write_text(changed, encoding="utf-8")
    return path


def test_takes_every_fitting_tensor_and_keeps_the_rest_fresh(
    tiny_config_path: Path, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    saved = load_checkpoint(tiny_checkpoint)
    torch.manual_seed(123)
    target = build_models(load_config(wider_generator_config(tiny_config_path, tmp_path)))
    fresh = {k: v.clone() for k, v in target.generator.state_dict().items()}

    report = warm_start(tiny_checkpoint, {"generator": target.generator, "kp_detector": target.kp_detector})

    for key, value in target.kp_detector.state_dict().items():
        assert torch.equal(value, saved["kp_detector"][key]), key
    generator = target.generator.state_dict()
    for key, value in saved["generator"].items():
        assert torch.equal(generator[key], value), key
    new_keys = [k for k in generator if k not in saved["generator"]]
    assert new_keys and all(k.startswith("bottleneck.r1.") for k in new_keys)
    for key in new_keys:
        assert torch.equal(generator[key], fresh[key]), key
    by_name = {m.name: m for m in report.modules}
    assert by_name["kp_detector"].taken == by_name["kp_detector"].total
    assert sorted(by_name["generator"].absent) == sorted(new_keys)
    assert "bottleneck.r1." in report.summary()


def test_mis_shaped_tensors_are_listed_not_loaded(
    tiny_config_path: Path, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    text = tiny_config_path.read_text(encoding="utf-8")
    generator_widths = "block_expansion: 8\n    max_features: 32\n    num_down_blocks: 2"
    assert generator_widths in text
    text = text.replace(generator_widths, generator_widths.replace("max_features: 32", "max_features: 12"))
    path = tmp_path / "narrow.yaml"
    path.write_text(text, encoding="utf-8")
    target = build_models(load_config(path))
    report = warm_start(tiny_checkpoint, {"generator": target.generator, "kp_detector": target.kp_detector})
    generator = next(m for m in report.modules if m.name == "generator")
    assert generator.mis_shaped and 0 < generator.taken < generator.total
    assert "of another shape" in report.summary()


def test_a_checkpoint_with_nothing_that_fits_is_refused(
    tiny_config_path: Path, tmp_path: Path, tiny_models
) -> None:
    alien = tmp_path / "alien.pth.tar"
    save_checkpoint(alien, {"generator": {"x": torch.zeros(3)}, "kp_detector": {"y": torch.zeros(2)}})
    with pytest.raises(CheckpointMismatchError, match="no tensor of the checkpoint fits"):
        warm_start(alien, {"generator": tiny_models.generator, "kp_detector": tiny_models.kp_detector})


def test_a_run_starts_from_the_checkpoint_and_records_it(
    tiny_config_path: Path, tiny_checkpoint: Path, video_dataset: Path, frame_cache: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    opts = options(
        tiny_config_path, video_dataset, frame_cache, run_dir, max_steps=1, init_from=tiny_checkpoint
    )
    assert train(opts) == 0
    events = read_events(run_dir)
    assert events[0]["init_from"] == str(tiny_checkpoint)
    warm = [e for e in events if e["type"] == "warm_start"]
    assert len(warm) == 1
    assert warm[0]["modules"]["kp_detector"]["taken"] == warm[0]["modules"]["kp_detector"]["total"]
    # One Adam step from the checkpoint stays close to it; a random start would be far away.
    saved = load_checkpoint(tiny_checkpoint)["kp_detector"]
    trained = load_checkpoint(sorted((run_dir / "checkpoints").glob("*.pth.tar"))[-1])["kp_detector"]
    key = next(k for k, v in saved.items() if v.dtype.is_floating_point and v.numel() > 100)
    assert (trained[key] - saved[key]).abs().max() < 0.01


def test_cli_names_a_missing_init_checkpoint(tmp_path: Path, tiny_config_path: Path) -> None:
    missing = tmp_path / "nowhere.pth.tar"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fomm_studio.cli",
            "train",
            "--config",
            str(tiny_config_path),
            "--data",
            str(tmp_path),
            "--run-dir",
            str(tmp_path / "run"),
            "--init-from",
            str(missing),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert result.returncode != 0
    assert str(missing) in result.stderr and "Traceback" not in result.stderr


def test_a_checkpoint_that_does_not_fit_fails_before_the_dataset_scan(
    tiny_config_path: Path, tmp_path: Path
) -> None:
    alien = tmp_path / "alien.pth.tar"
    save_checkpoint(alien, {"generator": {"x": torch.zeros(3)}, "kp_detector": {"y": torch.zeros(2)}})
    empty = tmp_path / "no-videos"
    empty.mkdir()  # scanning it would fail with a dataset error instead
    run_dir = tmp_path / "run"
    with pytest.raises(CheckpointMismatchError, match="no tensor of the checkpoint fits"):
        train(options(tiny_config_path, empty, tmp_path / "cache", run_dir, max_steps=1, init_from=alien))
    assert "dataset" not in [e["type"] for e in read_events(run_dir)]

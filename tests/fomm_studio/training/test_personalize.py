"""Personalize: `fomm train` of the live model on the recorded clips (argv and config; nothing runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load_config
from fomm_studio.training.launch import LaunchError, build_command
from fomm_studio.training.personalize import (
    LR_SCALE,
    NoClipsError,
    PersonalizePlan,
    prepare_personalize,
)
from fomm_studio.training.supervisor import status_path


def plan(tmp_path: Path, tiny_config_path: Path, checkpoint: Path) -> PersonalizePlan:
    return PersonalizePlan(
        tiny_config_path, checkpoint, tmp_path / "my-face", tmp_path / "run", python="/usr/bin/python3"
    )


@pytest.fixture()
def checkpoint(tmp_path: Path) -> Path:
    path = tmp_path / "live.pth.tar"
    path.write_bytes(b"weights")  # only its presence is checked here: the trainer loads it
    return path


def test_personalize_refuses_without_a_clip_naming_the_folder(
    tmp_path: Path, tiny_config_path: Path, checkpoint: Path
) -> None:
    (tmp_path / "my-face" / "train").mkdir(parents=True)
    (tmp_path / "my-face" / "train" / "notes.txt").write_text("no video")
    with pytest.raises(
        NoClipsError, match=rf"{tmp_path / 'my-face' / 'train'}: no training clip recorded yet"
    ):
        prepare_personalize(plan(tmp_path, tiny_config_path, checkpoint), cuda_count=0)
    assert not (tmp_path / "run").exists()  # refused before writing anything


def test_personalize_trains_the_live_model_on_the_clips_briefly_at_a_lower_rate(
    tmp_path: Path, tiny_config_path: Path, checkpoint: Path
) -> None:
    clips = tmp_path / "my-face" / "train"
    clips.mkdir(parents=True)
    (clips / "clip-20260101-120000.mp4").write_bytes(b"video")
    request = prepare_personalize(plan(tmp_path, tiny_config_path, checkpoint), cuda_count=0)
    run = (tmp_path / "run").resolve()
    assert build_command(request, cuda_count=0) == [
        "/usr/bin/python3", "-m", "trainer.train",
        "--config", str(run / "config.yaml"),
        "--data", str((tmp_path / "my-face").resolve()),
        "--run-dir", str(run),
        "--device", "cpu",
        "--init-from", str(checkpoint.resolve()),
        "--max-steps", "300",
        "--no-progress",
    ]  # fmt: skip
    original, written = (
        load_config(tiny_config_path).train_params,
        load_config(run / "config.yaml").train_params,
    )
    assert written.lr_generator == pytest.approx(original.lr_generator * LR_SCALE)
    assert written.lr_kp_detector == pytest.approx(original.lr_kp_detector * LR_SCALE)
    assert written.epoch_milestones == () and written.batch_size == original.batch_size
    assert not status_path(run).exists()


def test_personalize_needs_the_live_models_checkpoint(tmp_path: Path, tiny_config_path: Path) -> None:
    clips = tmp_path / "my-face" / "train"
    clips.mkdir(parents=True)
    (clips / "a.mp4").write_bytes(b"video")
    with pytest.raises(LaunchError, match="gone.pth.tar: the live model's checkpoint not found"):
        prepare_personalize(plan(tmp_path, tiny_config_path, tmp_path / "gone.pth.tar"), cuda_count=0)

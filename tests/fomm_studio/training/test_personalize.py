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


@pytest.mark.timeout(300)
def test_personalize_end_to_end_records_a_clip_then_fine_tunes_on_it(
    tmp_path: Path, tiny_models, tiny_checkpoint: Path, tiny_config_path: Path
) -> None:
    """A clip recorded from the live loop, then two real Personalize steps on it: the trainer takes the
    clips folder, the written config (no milestones) and the live model's weights."""
    import json
    import os
    import subprocess

    import numpy as np

    from fomm_studio.live.messages import LiveOptions, RecordTrainingClip
    from fomm_studio.training.launch import process_environment
    from tests.conftest import tiny_live_pipeline

    pipeline = tiny_live_pipeline(tiny_models, options=LiveOptions(face_crop=False))
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    try:
        pipeline.apply(RecordTrainingClip(tmp_path / "my-face"))
        for _ in range(12):
            pipeline.step()
    finally:
        pipeline.close()
    config = tmp_path / "live.yaml"  # the tiny model's config with the weights-free perceptual loss
    config.write_text(
        tiny_config_path.read_text().replace(
            "train_params:\n", "train_params:\n  perceptual_backend: pyramid_l1_ssim\n"
        )
    )
    personalize = PersonalizePlan(
        config, tiny_checkpoint, tmp_path / "my-face", tmp_path / "run", max_steps=2
    )
    request = prepare_personalize(personalize, cuda_count=0)
    command = build_command(request, cuda_count=0)
    done = subprocess.run(
        command, env=process_environment(os.environ), capture_output=True, text=True, timeout=280
    )
    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    kinds = [e["type"] for e in events]
    assert "warm_start" in kinds and kinds[-1] == "end"
    steps = [e for e in events if e["type"] == "step"]
    assert [e["step"] for e in steps] == [1, 2]
    # one step per epoch here: the tiny config's milestone [1] would have cut step 2's rate tenfold
    assert all(v == pytest.approx(2e-4 * LR_SCALE) for e in steps for v in e["lr"].values())


def test_a_live_model_picked_as_a_checkpoint_alone_is_personalized_with_its_detected_config(
    tmp_path: Path,
) -> None:
    from fomm_studio.model_registry import DEFAULT_CHECKPOINT

    clips = tmp_path / "my-face" / "train"
    clips.mkdir(parents=True)
    (clips / "a.mp4").write_bytes(b"video")
    alone = PersonalizePlan(None, DEFAULT_CHECKPOINT, tmp_path / "my-face", tmp_path / "run")
    request = prepare_personalize(alone, cuda_count=0)
    header = (tmp_path / "run" / "config.yaml").read_text().splitlines()[0]
    assert header.startswith("# Personalize: ") and header.split()[2].endswith("lite-256.yaml")
    assert request.init_from == DEFAULT_CHECKPOINT

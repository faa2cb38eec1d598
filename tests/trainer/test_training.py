"""End-to-end training on tiny synthetic videos: learning, exact resume, stop requests, checkpoints, DDP."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import load_models
from engine.checkpoint import load_checkpoint
from engine.errors import FommError, MissingWeightsError
from tests.conftest import REPO_ROOT
from tests.trainer.conftest import read_events, step_losses
from trainer.loop import train
from trainer.options import TrainOptions


def options(
    tiny_config_path: Path, data: Path, cache: Path, run_dir: Path, **changes: object
) -> TrainOptions:
    base: dict[str, object] = dict(
        config_path=tiny_config_path,
        data=data,
        run_dir=run_dir,
        cache_dir=cache,
        device="cpu",
        perceptual_backend="pyramid_l1_ssim",
        progress=False,
        sample_every=1000,
        checkpoint_every=1000,
        batch_size=1,
    )
    base.update(changes)
    return TrainOptions(**base)  # type: ignore[arg-type]


def cli_args(tiny_config_path: Path, data: Path, cache: Path, run_dir: Path) -> list[str]:
    return [
        "--config",
        str(tiny_config_path),
        "--data",
        str(data),
        "--cache-dir",
        str(cache),
        "--run-dir",
        str(run_dir),
        "--device",
        "cpu",
        "--perceptual-backend",
        "pyramid_l1_ssim",
        "--no-progress",
        "--batch-size",
        "1",
    ]


@pytest.fixture(scope="module")
def uninterrupted(
    tmp_path_factory: pytest.TempPathFactory, tiny_config_path: Path, video_dataset: Path, frame_cache: Path
) -> Path:
    run_dir = tmp_path_factory.mktemp("runs") / "straight"
    assert train(options(tiny_config_path, video_dataset, frame_cache, run_dir, max_steps=6)) == 0
    return run_dir


def test_run_folder_contents(uninterrupted: Path) -> None:
    events = read_events(uninterrupted)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[1] == "dataset" and kinds[-1] == "end"
    steps = [e for e in events if e["type"] == "step"]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6]
    assert set(steps[0]["losses"]) == {
        "reconstruction",
        "equivariance_value",
        "equivariance_jacobian",
        "total",
    }
    assert steps[0]["lr"] == {"generator": 0.0002, "kp_detector": 0.0002}
    # 4 videos x 2 repeats / batch 1 = 8 steps per epoch; epoch_milestones [1] has not been reached.
    assert all(e["epoch"] == 0 for e in steps)
    assert "pyramid_l1_ssim" in (uninterrupted / "config.yaml").read_text()
    assert (uninterrupted / "samples" / "step-00000001.png").is_file()
    assert [p.name for p in sorted((uninterrupted / "checkpoints").iterdir())] == [
        "best.pth.tar",
        "step-00000006.pth.tar",
    ]


def test_checkpoint_is_weights_only_and_loads_in_engine(uninterrupted: Path, tiny_config_path: Path) -> None:
    path = uninterrupted / "checkpoints" / "step-00000006.pth.tar"
    checkpoint = load_checkpoint(path)  # weights_only=True inside
    assert {
        "generator",
        "kp_detector",
        "optimizer_generator",
        "optimizer_kp_detector",
        "epoch",
        "studio",
    } <= set(checkpoint)
    assert (
        checkpoint["studio"]["step"] == 6
        and checkpoint["studio"]["config"]["train_params"]["batch_size"] == 1
    )
    assert checkpoint["studio"]["grad_scaler"] == {}  # float32 on the CPU: no loss scaling to resume
    models = load_models(tiny_config_path, path)
    trained = checkpoint["generator"]["final.weight"]
    assert torch.equal(models.generator.final.weight, trained)


def test_resume_continues_with_the_same_losses(
    uninterrupted: Path, tmp_path: Path, tiny_config_path: Path, video_dataset: Path, frame_cache: Path
) -> None:
    run_dir = tmp_path / "resumed"
    assert train(options(tiny_config_path, video_dataset, frame_cache, run_dir, max_steps=3)) == 0
    assert (
        train(options(tiny_config_path, video_dataset, frame_cache, run_dir, max_steps=6, resume=True)) == 0
    )
    expected, resumed = step_losses(uninterrupted), step_losses(run_dir)
    assert sorted(resumed) == [1, 2, 3, 4, 5, 6]
    for step in (4, 5, 6):
        assert resumed[step] == expected[step], step
    assert any(e["type"] == "resumed" and e["step"] == 3 for e in read_events(run_dir))


def test_existing_run_needs_resume(
    uninterrupted: Path, tiny_config_path: Path, video_dataset: Path, frame_cache: Path
) -> None:
    with pytest.raises(FommError, match=r"straight: this run folder already holds a run; pass --resume"):
        train(options(tiny_config_path, video_dataset, frame_cache, uninterrupted, max_steps=7))


def test_missing_vgg_fails_before_any_work(
    tmp_path: Path, tiny_config_path: Path, video_dataset: Path, frame_cache: Path
) -> None:
    opts = options(
        tiny_config_path,
        video_dataset,
        frame_cache,
        tmp_path / "run",
        perceptual_backend="vgg19",
        vgg_weights=str(tmp_path / "nowhere" / "vgg19-dcbb9e9d.pth"),
    )
    with pytest.raises(MissingWeightsError, match=r"nowhere/vgg19-dcbb9e9d\.pth"):
        train(opts)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_reconstruction_loss_falls(
    tmp_path: Path, tiny_config_path: Path, video_dataset: Path, frame_cache: Path
) -> None:
    """60 steps of the tiny config (learning rates raised to 1e-3 so 60 steps show a clear trend)."""
    config = tmp_path / "tiny-fast.yaml"
    text = tiny_config_path.read_text()
    config.write_text(
        text.replace("lr_generator: 0.0002", "lr_generator: 0.001").replace(
            "lr_kp_detector: 0.0002", "lr_kp_detector: 0.001"
        )
    )
    run_dir = tmp_path / "learn"
    assert train(options(config, video_dataset, frame_cache, run_dir, max_steps=60, batch_size=1)) == 0
    losses = step_losses(run_dir)
    recon = [losses[s]["reconstruction"] for s in sorted(losses)]
    assert len(recon) == 60 and all(math.isfinite(v) for step in losses.values() for v in step.values())
    first, last = sum(recon[:10]) / 10, sum(recon[-10:]) / 10
    assert last < 0.85 * first, (first, last)


def start_process(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "trainer.train", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for_step(run_dir: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode() if process.stdout else "exited")
        if (run_dir / "events.jsonl").is_file() and '"type": "step"' in (
            run_dir / "events.jsonl"
        ).read_text():
            return
        time.sleep(0.2)
    process.kill()
    raise AssertionError("training never logged a step")


@pytest.mark.parametrize("how", ["stop_file", "sigterm"])
def test_stop_request_saves_and_exits_cleanly(
    how: str, tmp_path: Path, tiny_config_path: Path, video_dataset: Path, frame_cache: Path
) -> None:
    run_dir = tmp_path / "run"
    process = start_process(
        [*cli_args(tiny_config_path, video_dataset, frame_cache, run_dir), "--max-steps", "5000"]
    )
    wait_for_step(run_dir, process)
    if how == "stop_file":
        (run_dir / "STOP").write_text("")
    else:
        process.send_signal(signal.SIGTERM)
    try:
        output = process.communicate(timeout=120)[0].decode()
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, output
    events = read_events(run_dir)
    stopped = [e for e in events if e["type"] == "stopped"]
    assert len(stopped) == 1
    step = stopped[0]["step"]
    assert step < 5000
    assert (run_dir / "checkpoints" / f"step-{step:08d}.pth.tar").is_file()
    assert load_checkpoint(run_dir / "checkpoints" / f"step-{step:08d}.pth.tar")["studio"]["step"] == step


@pytest.mark.slow
def test_two_process_gloo_run(
    tmp_path: Path, tiny_config_path: Path, video_dataset: Path, frame_cache: Path
) -> None:
    run_dir = tmp_path / "ddp"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "trainer.train",
        *cli_args(tiny_config_path, video_dataset, frame_cache, run_dir),
        "--max-steps",
        "3",
    ]
    # Own session, so a hang can be ended together with the worker processes.
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output = process.communicate(timeout=240)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, output[-3000:]
    events = read_events(run_dir)
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3]  # rank 0 only logs
    assert next(e for e in events if e["type"] == "start")["world_size"] == 2
    assert load_checkpoint(run_dir / "checkpoints" / "step-00000003.pth.tar")["studio"]["world_size"] == 2


def test_prepare_faces_crops_each_video_to_the_head(tmp_path: Path) -> None:
    from skimage import data as skdata

    from fomm_studio.commands.train import prepare_faces
    from tests.trainer.videos import write_frame_folder

    astronaut = skdata.astronaut()  # 512 x 512, public domain, a clear frontal face
    frames = [np.roll(astronaut, shift=8 * i, axis=1) for i in range(3)]
    source = tmp_path / "raw"
    write_frame_folder(source / "train" / "astro", frames)
    write_frame_folder(source / "test" / "astro2", frames[:2])
    out = prepare_faces(source, tmp_path / "faces", 64)
    crops = sorted((out / "train" / "astro").glob("*.png"))
    assert len(crops) == 3 and len(list((out / "test" / "astro2").glob("*.png"))) == 2
    assert (out / "train" / "astro" / ".done").read_text().startswith("3/3 frames with a face")
    import cv2

    assert cv2.imread(str(crops[0])).shape == (64, 64, 3)


def test_a_failed_runs_message_has_no_python_class_names() -> None:
    from engine.errors import FommError
    from trainer.loop import user_message

    assert user_message(FommError("data/x.mp4: video file is empty")) == "data/x.mp4: video file is empty"
    assert user_message(OSError(28, "No space left on device", "runs/a/ckpt.tmp")) == (
        "runs/a/ckpt.tmp: No space left on device"
    )
    assert "Error" not in user_message(torch.OutOfMemoryError("CUDA out of memory"))

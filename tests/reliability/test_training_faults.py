"""Training survives a kill in the middle of a checkpoint write and a disk that fills while saving."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine.checkpoint
from engine.atomic import atomic_open
from engine.checkpoint import load_checkpoint
from fomm_studio.cli import main
from tests.conftest import REPO_ROOT
from tests.fomm_studio.media_samples import make_video

pytestmark = pytest.mark.timeout(240)


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "train").mkdir(parents=True)
    make_video(root / "train" / "clip.mp4", frames=8, fps=10, audio=None, width=64, height=64)
    return root


def train_args(config: Path, data: Path, run_dir: Path, max_steps: int, *extra: str) -> list[str]:
    return [
        "--config", str(config), "--data", str(data), "--run-dir", str(run_dir),
        "--cache-dir", str(run_dir.parent / "cache"), "--device", "cpu",
        "--perceptual-backend", "pyramid_l1_ssim", "--no-progress", "--batch-size", "1",
        "--checkpoint-every", "1", "--sample-every", "1000", "--max-steps", str(max_steps), *extra,
    ]  # fmt: skip


def events(run_dir: Path) -> list[dict]:
    lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def temp_files(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "checkpoints").glob(".*.tmp"))


def wait_for(path: Path, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"training ended early ({process.returncode}): {process.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout:.0f} s")
        time.sleep(0.1)


def test_sigkill_during_a_checkpoint_write_keeps_the_previous_one_and_resume_continues(
    tmp_path: Path, tiny_config_path: Path, data: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    run_dir, marker = tmp_path / "run", tmp_path / "WRITING"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.stalled_checkpoint_train", str(marker), "2",
         *train_args(tiny_config_path, data, run_dir, max_steps=5)],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(marker, process, timeout=180)
        assert [p.name.startswith(".step-00000002.pth.tar.") for p in temp_files(run_dir)] == [True]
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(30)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    checkpoints = run_dir / "checkpoints"
    assert sorted(p.name for p in checkpoints.glob("step-*")) == ["step-00000001.pth.tar"]
    assert load_checkpoint(checkpoints / "step-00000001.pth.tar")["studio"]["step"] == 1

    assert main(["train", *train_args(tiny_config_path, data, run_dir, 3, "--resume")]) == 0
    log = events(run_dir)
    resumed = [e for e in log if e["type"] == "resumed"]
    assert (
        len(resumed) == 1 and resumed[0]["step"] == 1 and resumed[0]["path"].endswith("step-00000001.pth.tar")
    )
    after = [e["step"] for e in log[log.index(resumed[0]) :] if e["type"] == "step"]
    assert after == [2, 3]
    assert load_checkpoint(checkpoints / "step-00000003.pth.tar")["studio"]["step"] == 3
    assert temp_files(run_dir) == [], "the killed write's half-written temp file was left behind"


def test_disk_full_while_saving_is_reported_and_keeps_the_previous_checkpoint(
    tmp_path: Path,
    tiny_config_path: Path,
    data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    real_write = engine.checkpoint.atomic_write_bytes

    def disk_full_at_step_2(path: str | Path, payload: bytes) -> None:
        if Path(path).name != "step-00000002.pth.tar":
            real_write(path, payload)
            return
        with atomic_open(path, "wb") as handle:
            handle.write(payload[:4096])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(engine.checkpoint, "atomic_write_bytes", disk_full_at_step_2)
    run_dir = tmp_path / "run"
    capfd.readouterr()
    assert main(["train", *train_args(tiny_config_path, data, run_dir, max_steps=2)]) == 0
    err = capfd.readouterr().err
    errors = [e["message"] for e in events(run_dir) if e["type"] == "error"]
    assert errors  # every later try at saving step 2 (end of epoch, end of run) fails the same way
    for message in errors:
        assert "step-00000002.pth.tar" in message and "No space left on device" in message
        assert "previous checkpoints kept" in message
    warned = [line for line in err.splitlines() if "No space left on device" in line]
    assert len(warned) == len(errors) and all("step-00000002.pth.tar" in line for line in warned), err
    checkpoints = run_dir / "checkpoints"
    assert sorted(p.name for p in checkpoints.glob("step-*")) == ["step-00000001.pth.tar"]
    assert load_checkpoint(checkpoints / "step-00000001.pth.tar")["studio"]["step"] == 1
    assert temp_files(run_dir) == []

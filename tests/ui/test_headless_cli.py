"""`python main.py ... --exit-after-frames N --screenshot OUT` in a subprocess, like CI would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.ui.conftest import ARTIFACTS

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def run_main(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FOMM_STUDIO_CONFIG_DIR=str(tmp_path / "cfg"))
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        cwd=REPO,
    )


def test_headless_run_prints_stats_and_writes_a_screenshot(
    tmp_path, tiny_config_path, tiny_checkpoint, avatar_path
) -> None:
    from fomm_studio.api import read_image

    shot = tmp_path / "shot.png"
    result = run_main(
        "--camera",
        "synthetic",
        "--avatar",
        str(avatar_path),
        "--config",
        str(tiny_config_path),
        "--checkpoint",
        str(tiny_checkpoint),
        "--device",
        "cpu",
        "--exit-after-frames",
        "5",
        "--screenshot",
        str(shot),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    stats = json.loads(lines[0])
    assert stats["frames"] == 5 and stats["fps"] > 0 and stats["dropped"] >= 0
    assert stats["device"] == "cpu" and stats["gpu"] is None
    latency = stats["latency_ms"]  # camera read -> frame painted
    assert 0 < latency["p50"] <= latency["p95"] < 100_000
    assert list(stats)[:3] == ["frames", "fps", "latency_ms"]
    assert set(stats["stage_ms"]) == {"capture", "crop", "keypoints", "generator", "display"}
    assert stats["stage_ms"]["generator"] > 0
    image = read_image(shot)
    assert image.shape[0] >= 600 and image.shape[1] >= 1000
    assert image.std() > 10 and len(np.unique(image.reshape(-1, 3), axis=0)) > 100  # not blank
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "headless-run.png").write_bytes(shot.read_bytes())


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--avatar", "missing-avatar.png", "missing-avatar.png: image file not found"),
        ("--camera", "7", "camera 7 not found"),
        ("--camera", "nope.mp4", "nope.mp4: video file not found"),
        ("--device", "cuda:99", "device 'cuda:99' requested but"),
    ],
)
def test_bad_source_or_avatar_exits_with_one_line(
    tmp_path, tiny_config_path, tiny_checkpoint, avatar_path, flag, value, message
) -> None:
    args = {"--avatar": str(avatar_path), "--camera": "synthetic", "--device": "auto", flag: value}
    result = run_main(
        "--device",
        args["--device"],
        "--camera",
        args["--camera"],
        "--avatar",
        args["--avatar"],
        "--config",
        str(tiny_config_path),
        "--checkpoint",
        str(tiny_checkpoint),
        "--exit-after-frames",
        "2",
        tmp_path=tmp_path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("backend", ["torch", "openvino"])
def test_headless_run_names_the_backend_its_frames_ran_on(
    backend, tmp_path, tiny_config_path, tiny_checkpoint, avatar_path, tiny_export
) -> None:
    """The chosen backend reaches the live view; without overlays the exported one animates the frames
    once built (the tiny models' export is in the run's cache), and the JSON line says so, with the fps
    of those frames alone."""
    result = run_main(
        *("--camera", "synthetic", "--avatar", str(avatar_path), "--device", "cpu"),
        *("--config", str(tiny_config_path), "--checkpoint", str(tiny_checkpoint)),
        *("--backend", backend, "--no-overlays", "--exit-after-frames", "60"),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["backend"] == backend
    assert stats["backend_fps"] > 0
    if backend == "torch":  # every frame on it: the same frames, the same rate
        assert abs(stats["backend_fps"] - stats["fps"]) < 0.01


def test_a_checkpoint_without_config_runs_with_the_detected_config(tmp_path, avatar_path, golden_dir) -> None:
    """`main.py --checkpoint K` alone: the packaged config K's tensors fit (lite-256 here); a checkpoint
    of no packaged config is one line naming what it looks like."""
    import shutil

    from fomm_studio.model_registry import DEFAULT_CHECKPOINT

    mine = Path(shutil.copy(DEFAULT_CHECKPOINT, tmp_path / "mine.pth.tar"))
    common = ("--camera", "synthetic", "--avatar", str(avatar_path), "--device", "cpu")
    result = run_main(*common, "--checkpoint", str(mine), "--exit-after-frames", "2", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["frames"] == 2
    small = golden_dir / "small" / "checkpoint.pth.tar"
    result = run_main(*common, "--checkpoint", str(small), "--exit-after-frames", "2", tmp_path=tmp_path)
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "fits none of the packaged configs (10 keypoints" in lines[0], result.stderr

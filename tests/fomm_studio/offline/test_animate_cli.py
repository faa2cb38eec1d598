"""`fomm animate` end to end: a real mp4 with audio out, one clear line for every bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from fomm_studio.cli import main
from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.media import VideoReader, read_video_frames, save_png
from tests.conftest import REPO_ROOT
from tests.fomm_studio.media_samples import make_video


@pytest.fixture()
def args(tmp_path: Path, tiny_config_path: Path, tiny_checkpoint: Path) -> dict[str, Path]:
    return {
        "--config": tiny_config_path,
        "--checkpoint": tiny_checkpoint,
        "--source": save_png(tmp_path / "avatar.png", SyntheticFeed(size=96, seed=2).frame_at(0)),
        "--driving": make_video(tmp_path / "driving.mp4", frames=10, fps=12, audio="aac"),
        "--output": tmp_path / "result.mp4",
    }


def _argv(args: dict[str, Path], *extra: str) -> list[str]:
    return ["animate", "--quiet", *[str(part) for pair in args.items() for part in pair], *extra]


def test_animate_writes_mp4_with_same_frames_fps_and_audio(
    args: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(args)) == 0
    assert "wrote" in capsys.readouterr().out
    output, driving = VideoReader(args["--output"]), VideoReader(args["--driving"])
    assert output.frame_count == driving.frame_count == 10
    assert output.fps_fraction == driving.fps_fraction
    with av.open(str(args["--output"])) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio and container.streams.audio[0].codec_context.name == "aac"
    frames = read_video_frames(args["--output"])
    assert len(frames) == 10 and any(np.abs(f.astype(int) - frames[0]).max() > 0 for f in frames[1:])


def _corrupt(path: Path, kind: str) -> None:
    if kind == "missing":
        path.unlink()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    elif kind == "text":
        path.write_text("this is not a picture\n")


@pytest.mark.parametrize(
    ("option", "kind", "message"),
    [
        ("--driving", "missing", "driving.mp4: video file not found"),
        ("--driving", "empty", "driving.mp4: video file is empty"),
        ("--driving", "random", "driving.mp4: "),
        ("--source", "text", "avatar.png: not an image"),
        ("--source", "missing", "avatar.png: image file not found"),
        ("--checkpoint", "random", "tiny.pth.tar"),
        ("--checkpoint", "text", "tiny.pth.tar"),
    ],
)
def test_bad_inputs_give_one_line_naming_the_file(
    args: dict[str, Path], capsys: pytest.CaptureFixture[str], option: str, kind: str, message: str
) -> None:
    _corrupt(args[option], kind)
    assert main(_argv(args)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("fomm animate: error: ") and message in err
    assert not args["--output"].exists()


def test_subprocess_reports_a_bad_driving_video_without_traceback(args: dict[str, Path]) -> None:
    _corrupt(args["--driving"], "random")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "fomm_studio.cli", *_argv(args)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "driving.mp4" in done.stderr
    assert done.stderr.strip().count("\n") == 0

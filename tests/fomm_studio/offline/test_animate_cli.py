"""`fomm animate` end to end: a real mp4 with audio out, one clear line for every bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from engine import AnimationSession, MotionOptions, load_models
from fomm_studio.cli import build_parser, main
from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.live.messages import LiveOptions
from fomm_studio.media import VideoReader, read_image, read_video_frames, save_png
from fomm_studio.offline import animation_job
from fomm_studio.settings import Settings
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
    # The tiny random model's output hardly moves (a frame-to-frame difference would be codec noise), so
    # compare with what the engine makes of the same driving frames; H.264 costs a little.
    session = AnimationSession(load_models(args["--config"], args["--checkpoint"]))
    session.set_source(read_image(args["--source"]))
    expected = [session.animate(f, with_extras=False).image for f in read_video_frames(args["--driving"])]
    frames = read_video_frames(args["--output"])
    assert len(frames) == len(expected) == 10
    assert all(f.std() > 1 for f in frames)  # real pictures, not a blank
    assert max(np.abs(f.astype(int) - e).mean() for f, e in zip(frames, expected, strict=True)) < 2.0


def _engine_frames(args: dict[str, Path]) -> list[np.ndarray]:
    """What the torch engine makes of the driving frames (the reference of the backends)."""
    session = AnimationSession(load_models(args["--config"], args["--checkpoint"]))
    session.set_source(read_image(args["--source"]))
    return [session.animate(f, with_extras=False).image for f in read_video_frames(args["--driving"])]


def test_openvino_backend_animates_like_torch_and_says_so(
    args: dict[str, Path], tiny_export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(args, "--backend", "openvino")) == 0
    err = capsys.readouterr().err
    assert err.startswith("backend openvino: loaded from the cache") and "PSNR" in err
    frames, expected = read_video_frames(args["--output"]), _engine_frames(args)
    assert len(frames) == len(expected) == 10
    assert max(np.abs(f.astype(int) - e).mean() for f, e in zip(frames, expected, strict=True)) < 2.0


def test_without_openvino_animate_runs_on_torch_and_says_how_to_get_it(
    args: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)
    assert main(_argv(args, "--backend", "openvino")) == 0
    err = capsys.readouterr().err
    assert "backend torch: openvino unavailable: OpenVINO is not installed (pip install openvino==" in err
    assert VideoReader(args["--output"]).frame_count == 10


def test_adapt_scale_defaults_to_off_like_the_app() -> None:
    argv = [
        "animate",
        "--config",
        "c",
        "--checkpoint",
        "k",
        "--source",
        "s",
        "--driving",
        "d",
        "--output",
        "o",
    ]
    parse = build_parser().parse_args
    assert parse(argv).adapt_scale is False
    assert parse([*argv, "--adapt-scale"]).adapt_scale is True
    assert Settings().adapt_scale is False and LiveOptions().adapt_scale is False
    assert MotionOptions().adapt_movement_scale is False


@pytest.mark.parametrize(("extra", "adapt"), [((), False), (("--adapt-scale",), True)])
def test_adapt_scale_option_reaches_the_motion_options(
    args: dict[str, Path], monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...], adapt: bool
) -> None:
    used: list[MotionOptions] = []

    class RecordingSession(animation_job.AnimationSession):
        def __init__(self, models, options=None, **kwargs):
            used.append(options)
            super().__init__(models, options, **kwargs)

    monkeypatch.setattr(animation_job, "AnimationSession", RecordingSession)
    assert main(_argv(args, *extra)) == 0
    assert [options.adapt_movement_scale for options in used] == [adapt]


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


def test_without_config_the_checkpoint_names_it_and_a_large_avatar_keeps_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The embedded default model, no --config: lite-256 is detected; a 613x600 portrait comes out at its
    own (even) size with the head animated, or 256x256 with --no-paste-back."""
    import cv2

    from fomm_studio.model_registry import DEFAULT_CHECKPOINT
    from fomm_studio.paths import ASSETS_DIR

    portrait = read_image(ASSETS_DIR / "avatars" / "astronaut.png")
    big = save_png(tmp_path / "big.png", cv2.resize(portrait, (600, 613)))
    driving = make_video(tmp_path / "driving.mp4", frames=3, fps=10)
    common = ["animate", "--quiet", "--checkpoint", str(DEFAULT_CHECKPOINT), "--source", str(big)]
    assert main([*common, "--driving", str(driving), "--output", str(tmp_path / "full.mp4")]) == 0
    assert "config: lite-256 (detected from the checkpoint)" in capsys.readouterr().err
    full = read_video_frames(tmp_path / "full.mp4")
    assert len(full) == 3 and full[0].shape == (612, 600, 3)
    corner = np.abs(full[0][:40, :40].astype(int) - cv2.resize(portrait, (600, 613))[:40, :40]).mean()
    assert corner < 6  # outside the head the avatar's own pixels (through H.264)
    argv = [*common, "--driving", str(driving), "--output", str(tmp_path / "small.mp4"), "--no-paste-back"]
    assert main(argv) == 0
    assert read_video_frames(tmp_path / "small.mp4")[0].shape == (256, 256, 3)


ORIGINAL_FILES = {  # the authors' file names: where shapes are shared, the name decides
    "vox-256": "vox-cpk.pth.tar",
    "vox-adv-256": "vox-adv-cpk.pth.tar",
    "taichi-256": "taichi-cpk.pth.tar",
    "taichi-adv-256": "taichi-adv-cpk.pth.tar",
    "mgif-256": "mgif-cpk.pth.tar",
    "bair-256": "bair-cpk.pth.tar",
    "fashion-256": "fashion.pth.tar",
    "nemo-256": "nemo-cpk.pth.tar",
}


@pytest.mark.parametrize("name", list(ORIGINAL_FILES))
def test_animate_takes_each_original_structure_without_config_and_names_the_one_it_chose(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A random-weight checkpoint with each original config's exact tensors, under the authors' file
    name, animates with `--checkpoint` alone; the config it detected is printed."""
    from tests.fomm_studio.original_checkpoints import original_checkpoint

    checkpoint = original_checkpoint(tmp_path / ORIGINAL_FILES[name], name, random=True)
    source = save_png(tmp_path / "avatar.png", SyntheticFeed(size=256, seed=2).frame_at(0))
    driving = make_video(tmp_path / "driving.mp4", frames=2, fps=10)
    output = tmp_path / "out.mp4"
    argv = ["animate", "--quiet", "--checkpoint", str(checkpoint), "--source", str(source)]
    assert main([*argv, "--driving", str(driving), "--output", str(output), "--backend", "torch"]) == 0
    assert f"config: {name} (detected from the checkpoint" in capsys.readouterr().err
    frames = read_video_frames(output)
    assert len(frames) == 2 and frames[0].shape == (256, 256, 3)


def test_detail_keeps_the_avatars_size_and_sharpens_the_pasted_face(tmp_path: Path) -> None:
    """The default model on a 512-pixel portrait with fine grain: with detail transfer (the default) the
    pasted head is sharper than the plain upscale of --no-detail, and the video has the avatar's size."""
    import cv2

    from fomm_studio.live.paste_back import prepare_paste_back
    from fomm_studio.model_registry import DEFAULT_CHECKPOINT
    from fomm_studio.paths import ASSETS_DIR

    portrait = cv2.resize(read_image(ASSETS_DIR / "avatars" / "astronaut.png"), (512, 512))
    grain = np.random.default_rng(0).normal(0.0, 12.0, (512, 512, 1))
    avatar = np.clip(portrait + grain, 0, 255).astype(np.uint8)
    source = save_png(tmp_path / "grainy.png", avatar)
    paste = prepare_paste_back(avatar, 256)
    assert paste is not None
    r = paste.region
    inner = r.side // 5  # inside the feathered border
    face = (slice(r.top + inner, r.top + r.side - inner), slice(r.left + inner, r.left + r.side - inner))
    driving = make_video(tmp_path / "driving.mp4", frames=3, fps=10)
    common = ["animate", "--quiet", "--checkpoint", str(DEFAULT_CHECKPOINT), "--source", str(source)]
    sharpness = {}
    for flag in ("--detail", "--no-detail"):
        output = tmp_path / f"{flag}.mp4"
        assert main([*common, "--driving", str(driving), "--output", str(output), flag]) == 0
        frames = read_video_frames(output)
        assert len(frames) == 3 and frames[0].shape == (512, 512, 3)
        grey = cv2.cvtColor(frames[-1][face], cv2.COLOR_BGR2GRAY)
        sharpness[flag] = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    assert sharpness["--detail"] > 3 * sharpness["--no-detail"], sharpness

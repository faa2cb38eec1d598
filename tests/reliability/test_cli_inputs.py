"""Bad-input matrix of the command line: one test per row.

Every row spoils one input of `fomm animate`, `fomm train` or `fomm reconstruct`. A bad input must give
exit code 2 and exactly one stderr line that names the file and the problem, in process
(`fomm_studio.cli.main`, checked at the file-descriptor level so FFmpeg's own chatter would count)
and as a real `python -m fomm_studio.cli` process (no traceback). Awkward but valid images must work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fomm_studio.cli import main
from fomm_studio.media import VideoReader
from tests.reliability import bad_files
from tests.reliability.cli_cases import Inputs, argv, make_inputs, start_subprocess

pytestmark = pytest.mark.timeout(240)


@dataclass(frozen=True)
class Row:
    """One matrix row: `spoil` changes the inputs; `expect` are regexes the stderr line must match
    (an error row) or None (the command must work and `check` its output)."""

    command: str
    spoil: Callable[[Inputs], object]
    expect: tuple[str, ...] | None
    extra: tuple[str, ...] = ()
    no_weights: bool = False  # run with an empty TORCH_HOME
    check: Callable[[Inputs], None] | None = None
    subprocess: bool = True
    env: dict[str, str] = field(default_factory=dict)


def _config_unknown_key(i: Inputs) -> None:
    bad_files.config_variant(i.config, i.config, {"model_params.common_params.num_keypoints": 5})


def _config_wrong_type(i: Inputs) -> None:
    bad_files.config_variant(i.config, i.config, {"model_params.common_params.num_kp": "five"})


def _animated(i: Inputs) -> None:
    frames = list(VideoReader(i.output))
    assert len(frames) == 6 and frames[0].shape == (64, 64, 3)


def _animated_partial(i: Inputs) -> None:
    frames = list(VideoReader(i.output))
    assert 1 <= len(frames) < 16 and frames[0].shape == (64, 64, 3)


def _resume_run(i: Inputs, write: Callable[[Path], object]) -> None:
    (i.run_dir / "checkpoints").mkdir(parents=True)
    write(i.resume_checkpoint)


CONFIG_ROWS = {
    "config-unknown-key": (
        _config_unknown_key,
        ("model.yaml", "unknown key 'model_params.common_params.num_keypoints'"),
    ),
    "config-wrong-type": (
        _config_wrong_type,
        ("model.yaml", "'model_params.common_params.num_kp' must be an integer"),
    ),
}
CHECKPOINT_ROWS = {
    "checkpoint-random-bytes": (
        lambda i: bad_files.random_bytes(i.checkpoint),
        ("model.pth.tar", "not a readable checkpoint"),
    ),
    "checkpoint-runs-code": (
        lambda i: bad_files.code_checkpoint(i.checkpoint, i.marker),
        ("model.pth.tar", "not a safe checkpoint", "code"),
    ),
    "checkpoint-other-config": (
        lambda i: bad_files.checkpoint_for_other_config(i.config, i.checkpoint),
        ("model.pth.tar", "does not fit the config", "mis-shaped"),
    ),
}
VIDEO_ROWS = {
    "empty-file": (bad_files.empty, ("empty",)),
    "random-bytes": (bad_files.random_bytes, ("not a video|cannot decode|corrupt",)),
    "truncated": (bad_files.truncated_video, ("not a video|cannot decode|corrupt|truncated",)),
}


def _rows() -> dict[str, Row]:
    rows: dict[str, Row] = {
        "animate-source-empty-file": Row(
            "animate", lambda i: bad_files.empty(i.source), ("avatar.png", "empty")
        ),
        "animate-source-text-named-png": Row(
            "animate", lambda i: bad_files.text(i.source), ("avatar.png", "not an image")
        ),
        "animate-driving-front-indexed-truncated": Row(
            "animate",
            lambda i: bad_files.front_indexed_truncated_video(i.driving),
            None,
            check=_animated_partial,
        ),
        "animate-find-best-frame-no-landmark-weights": Row(
            "animate",
            lambda i: None,
            (
                "face landmark weights missing",
                "torch-home",
                r"s3fd-619a316812\.pth",
                r"2DFAN4-11f355bf06\.pth\.tar",
            ),
            extra=("--find-best-frame",),
            no_weights=True,
        ),
        "train-vgg19-no-weight-file": Row(
            "train",
            lambda i: None,
            ("VGG-19 weights not found", r"torch-home/hub/checkpoints/vgg19-dcbb9e9d\.pth"),
            extra=("--perceptual-backend", "vgg19"),
            no_weights=True,
        ),
        "train-data-text-named-png-frame": Row(
            "train", _text_frame_folder, ("clip-frames/0001.png", "not a readable image")
        ),
    }
    for name, maker in {
        "grayscale": bad_files.grayscale_png,
        "rgba": bad_files.rgba_png,
        "8x8": bad_files.tiny_png,
        "2000x100": bad_files.wide_png,
    }.items():
        rows[f"animate-source-{name}-works"] = Row(
            "animate", lambda i, maker=maker: maker(i.source), None, check=_animated, subprocess=False
        )
    for kind, (maker, expect) in VIDEO_ROWS.items():
        rows[f"animate-driving-{kind}"] = Row(
            "animate", lambda i, m=maker: m(i.driving), ("driving.mp4", *expect)
        )
        rows[f"train-data-{kind}"] = Row(
            "train", lambda i, m=maker: m(i.train_clip), (r"train/clip\.mp4", *expect)
        )
        rows[f"reconstruct-data-{kind}"] = Row(
            "reconstruct", lambda i, m=maker: m(i.clip), ("clip.mp4", *expect)
        )
    for command in ("animate", "train", "reconstruct"):
        for name, (spoil, expect) in CONFIG_ROWS.items():
            rows[f"{command}-{name}"] = Row(command, spoil, expect)
    for command in ("animate", "reconstruct"):
        for name, (spoil, expect) in CHECKPOINT_ROWS.items():
            rows[f"{command}-{name}"] = Row(command, spoil, expect)
    rows["train-resume-checkpoint-random-bytes"] = Row(
        "train",
        lambda i: _resume_run(i, bad_files.random_bytes),
        ("--resume: no checkpoint of the run can be loaded", r"step-00000001\.pth\.tar", "not a readable"),
        extra=("--resume",),
    )
    rows["train-resume-checkpoint-runs-code"] = Row(
        "train",
        lambda i: _resume_run(i, lambda p: bad_files.code_checkpoint(p, i.marker)),
        ("--resume: no checkpoint of the run can be loaded", r"step-00000001\.pth\.tar", "not a safe"),
        extra=("--resume",),
    )
    return rows


def _text_frame_folder(i: Inputs) -> None:
    folder = i.data / "train" / "clip-frames"
    folder.mkdir()
    bad_files.text(folder / "0001.png")
    i.train_clip.unlink()


ROWS = _rows()


def _prepared(row: Row, folder: Path, checkpoint: Path) -> tuple[Inputs, list[str], dict[str, str]]:
    """Fresh good inputs in `folder`, spoiled by the row; its command line and extra environment."""
    inputs = make_inputs(folder, checkpoint)
    row.spoil(inputs)
    env = {"TORCH_HOME": str(inputs.torch_home)} if row.no_weights else {}
    return inputs, argv(row.command, inputs, row.extra), env


@pytest.mark.parametrize("row_id", sorted(ROWS))
def test_cli_row(
    row_id: str,
    tmp_path: Path,
    tiny_checkpoint: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = ROWS[row_id]
    process = None
    if row.subprocess:  # runs alongside the in-process check: same row, fresh files
        sub_inputs, sub_args, sub_env = _prepared(row, tmp_path / "subprocess", tiny_checkpoint)
        process = start_subprocess(sub_args, sub_env)
    try:
        code = _check_in_process(row, tmp_path / "in-process", tiny_checkpoint, capfd, monkeypatch)
    finally:
        _, err = process.communicate(timeout=180) if process is not None else ("", "")
    if process is not None:
        assert "Traceback" not in err, err
        assert process.returncode == code, err
        if row.expect is not None:
            _assert_one_clear_line(process.returncode, err, row.command, row.expect)
        assert not sub_inputs.marker.exists(), "a checkpoint's pickled code was executed"


def _check_in_process(
    row: Row,
    folder: Path,
    checkpoint: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> int:
    inputs, args, env = _prepared(row, folder, checkpoint)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capfd.readouterr()
    code = main(args)
    err = capfd.readouterr().err
    if row.expect is None:
        assert code == 0, err
        assert row.check is not None
        row.check(inputs)
    else:
        _assert_one_clear_line(code, err, row.command, row.expect)
        assert not inputs.output.exists()
    assert not inputs.marker.exists(), "a checkpoint's pickled code was executed"
    return code


def _assert_one_clear_line(code: int, err: str, command: str, expect: tuple[str, ...]) -> None:
    """Exit 2 and one error line; before it only `fomm train`'s dataset report (lines it prints
    while working) may appear."""
    assert code == 2, err
    assert "Traceback" not in err
    *before, line = err.splitlines()
    assert err.endswith("\n") and line.startswith(f"fomm {command}: error: "), err
    report = [text for text in before if text.startswith(("dataset ", "  "))] if command == "train" else []
    assert before == report, f"expected one stderr line, got:\n{err}"
    for pattern in expect:
        assert re.search(pattern, line), f"{pattern!r} not in {line!r}"


def test_the_code_checkpoint_payload_is_live(tmp_path: Path) -> None:
    """Control for the `runs-code` rows: an unrestricted load of that file really creates the marker."""
    import torch

    marker = tmp_path / "PAYLOAD-RAN"
    path = bad_files.code_checkpoint(tmp_path / "evil.pth.tar", marker)
    torch.load(path, weights_only=False)  # the unsafe load the app must never do
    assert marker.exists()

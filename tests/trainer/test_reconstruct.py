"""`fomm reconstruct`: L1 against the copy-first-frame baseline, JSON summary, side-by-side videos."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from fomm_studio.cli import main
from trainer.video_cache import scan_dataset


def test_reconstruct_reports_l1_baseline_and_writes_videos(
    tmp_path: Path, tiny_config_path: Path, tiny_checkpoint: Path, video_dataset: Path, frame_cache: Path
) -> None:
    out = tmp_path / "out"
    summary_path = tmp_path / "summary.json"
    code = main(
        [
            "reconstruct",
            "--config",
            str(tiny_config_path),
            "--checkpoint",
            str(tiny_checkpoint),
            "--data",
            str(video_dataset),
            "--cache-dir",
            str(frame_cache),
            "--device",
            "cpu",
            "--out-dir",
            str(out),
            "--json",
            str(summary_path),
        ]
    )
    assert code == 0
    summary = json.loads(summary_path.read_text())
    assert summary["num_videos"] == 1
    row = summary["videos"][0]
    assert row["name"] == "video0" and row["frames"] == 12
    frames = (
        np.load(scan_dataset(video_dataset, (64, 64, 3), frame_cache).test[0].cache).astype(np.float32) / 255
    )
    baseline = np.abs(frames - frames[:1]).mean()
    assert row["baseline_l1"] == pytest.approx(float(baseline), rel=1e-4)
    assert 0.0 < row["l1"] < 1.0 and summary["mean"]["l1"] == pytest.approx(row["l1"])
    assert any("AKD" in note for note in summary["notes"])
    with av.open(row["video"]) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 12 and decoded[0].shape == (64, 128, 3)


def test_reconstruct_single_video_and_max_videos(
    tmp_path: Path,
    tiny_config_path: Path,
    tiny_checkpoint: Path,
    video_dataset: Path,
    frame_cache: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    video = video_dataset / "train" / "video0.mp4"
    code = main(
        [
            "reconstruct",
            "--config",
            str(tiny_config_path),
            "--checkpoint",
            str(tiny_checkpoint),
            "--data",
            str(video),
            "--cache-dir",
            str(frame_cache),
            "--device",
            "cpu",
            "--max-videos",
            "1",
            "--no-akd",
        ]
    )
    assert code == 0
    means = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(means) == {"l1", "baseline_l1"}


def test_reconstruct_on_openvino_matches_torch(
    tiny_config_path: Path,
    tiny_checkpoint: Path,
    video_dataset: Path,
    frame_cache: Path,
    tiny_export: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    video = video_dataset / "train" / "video0.mp4"
    common = ["--config", str(tiny_config_path), "--checkpoint", str(tiny_checkpoint), "--data", str(video)]
    common += ["--cache-dir", str(frame_cache), "--device", "cpu", "--no-akd"]
    means = {}
    for backend in ("torch", "openvino"):
        assert main(["reconstruct", *common, "--backend", backend]) == 0
        out, err = capsys.readouterr()
        means[backend] = json.loads(out.strip().splitlines()[-1])
        assert f"backend {backend}: " in err
    assert means["openvino"]["l1"] == pytest.approx(means["torch"]["l1"], abs=1e-5)
    assert means["openvino"]["baseline_l1"] == pytest.approx(means["torch"]["baseline_l1"], rel=1e-6)

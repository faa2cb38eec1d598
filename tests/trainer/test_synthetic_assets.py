"""`python3 -m trainer.synthetic.make_assets` regenerates the bundled avatars and sample clip."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

from trainer.synthetic.make_assets import SAMPLE_FRAMES, main

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_make_assets_reproduces_the_committed_assets(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    for name in ("astronaut.png", "cartoon-1.png", "cartoon-2.png"):
        made, committed = (
            cv2.imread(str(tmp_path / "avatars" / name)),
            cv2.imread(str(ASSETS / "avatars" / name)),
        )
        assert made is not None and committed is not None
        np.testing.assert_array_equal(made, committed)
    assert cv2.imread(str(tmp_path / "avatars" / "astronaut.png")).shape == (256, 256, 3)
    clip = tmp_path / "sample_driving.mp4"
    assert clip.stat().st_size < 2_000_000
    made_frames, committed_frames = _frames(clip), _frames(ASSETS / "sample_driving.mp4")
    assert len(made_frames) == SAMPLE_FRAMES and made_frames[0].shape == (256, 256, 3)
    assert np.abs(made_frames[0].astype(int) - committed_frames[0].astype(int)).mean() < 1.0
    license_text = (tmp_path / "avatars" / "LICENSE.md").read_text()
    assert "public domain" in license_text and "cartoon-2.png" in license_text


def test_sample_clip_moves_and_loops() -> None:
    frames = np.stack(_frames(ASSETS / "sample_driving.mp4")).astype(np.int16)
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    wrap = np.abs(frames[0] - frames[-1]).mean()
    assert steps.min() > 0.0 and np.abs(frames[len(frames) // 2] - frames[0]).mean() > 2 * steps.mean()
    assert wrap < 3.0 * np.median(steps)  # the last frame flows into the first

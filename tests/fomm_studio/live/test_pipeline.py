"""The Qt-free live loop: one step per frame, commands, recording, snapshot, bad avatar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import FommError
from fomm_studio.live import pipeline as pipeline_module
from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.live.pipeline import (
    Calibrate,
    LivePipeline,
    SetAvatar,
    Snapshot,
    StartRecording,
    StopRecording,
    center_crop,
)
from fomm_studio.media import VideoReader, read_image, save_png


def test_center_crop_zoom_and_offset() -> None:
    frame = np.arange(100 * 200).reshape(100, 200, 1)
    assert center_crop(frame).shape[:2] == (100, 100)
    zoomed = center_crop(frame, zoom=2.0, offset=(0.5, 0.0))
    assert zoomed.shape[:2] == (50, 50) and zoomed[0, -1, 0] == frame[25, 199, 0]  # clamped at the edge


def test_step_returns_panes_and_stage_timings(pipeline: LivePipeline) -> None:
    frame = pipeline.step()
    assert frame.panes.output.shape == (64, 64, 3) and frame.index == 1
    assert set(frame.timings) == {"capture", "crop", "keypoints", "generator", "display"}
    assert frame.calibrated and pipeline.feed_open
    pipeline.apply(Calibrate())
    assert not pipeline.session.is_calibrated
    pipeline.close()
    assert not pipeline.feed_open


def test_record_and_snapshot(pipeline: LivePipeline, tmp_path: Path) -> None:
    pipeline.apply(StartRecording(tmp_path / "rec.mp4", side_by_side=True))
    pipeline.apply(Snapshot(tmp_path / "snap.png"))
    for _ in range(3):
        pipeline.step()
    pipeline.apply(StopRecording())
    texts = [n.text for n in pipeline.take_notices()]
    assert any("Recording saved" in t for t in texts) and any("Snapshot saved" in t for t in texts)
    assert read_image(tmp_path / "snap.png").shape == (64, 64, 3)
    first = next(iter(VideoReader(tmp_path / "rec.mp4")))
    assert first.shape == (64, 192, 3)  # driving | avatar | output


def test_recording_lasts_as_long_as_it_was_recorded_at_the_snapshot_resolution(
    tiny_models, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five frames one second apart (a slow CPU), then Stop at 5 s: a 5 s file, frames as the snapshot."""
    clock = [1000.0]
    monkeypatch.setattr(pipeline_module.time, "perf_counter", lambda: clock[0])
    pipeline = LivePipeline(
        tiny_models, lambda _s: SyntheticFeed(size=96, realtime=False), "synthetic", display_size=160
    )
    pipeline.set_avatar_file(save_png(tmp_path / "a.png", np.full((80, 80, 3), 120, np.uint8)))
    pipeline.apply(StartRecording(tmp_path / "rec.mp4"))
    for _ in range(5):
        pipeline.step()
        clock[0] += 1.0
    pipeline.apply(Snapshot(tmp_path / "snap.png"))
    pipeline.step()  # the snapshot's frame, at t = 5 s
    pipeline.apply(StopRecording())
    pipeline.close()
    frames = list(VideoReader(tmp_path / "rec.mp4").frames())
    assert len(frames) == 5 * 25  # five frames held one second each; the sixth ends where it starts
    assert frames[0].shape == read_image(tmp_path / "snap.png").shape == (64, 64, 3)


def test_bad_avatar_keeps_the_old_one(pipeline: LivePipeline, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    pipeline.apply(SetAvatar(bad))
    notices = pipeline.take_notices()
    assert notices[-1].kind == "error" and "bad.png" in notices[-1].text
    assert pipeline.step().panes.avatar.shape == (64, 64, 3)


def test_step_without_avatar_is_an_error(tiny_models) -> None:
    p = LivePipeline(tiny_models, lambda _s: SyntheticFeed(size=64, realtime=False), "synthetic")
    with pytest.raises(FommError, match="no avatar"):
        p.step()
    p.close()

"""The Qt-free live loop: one step per frame, commands, recording, snapshot, bad avatar."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import FommError
from fomm_studio.live import pipeline as pipeline_module
from fomm_studio.live.cropping import center_crop
from fomm_studio.live.feeds import CameraLostError, SyntheticFeed
from fomm_studio.live.messages import (
    Calibrate,
    LiveOptions,
    SetAvatar,
    Snapshot,
    StartRecording,
    StopRecording,
)
from fomm_studio.live.overlays import OverlayOptions
from fomm_studio.live.pipeline import LivePipeline
from fomm_studio.media import VideoReader, read_image, save_png
from tests.conftest import tiny_live_pipeline
from tests.doubles import FlakyFeed


def test_center_crop_zoom_and_offset() -> None:
    frame = np.arange(100 * 200).reshape(100, 200, 1)
    assert center_crop(frame).shape[:2] == (100, 100)
    zoomed = center_crop(frame, zoom=2.0, offset=(0.5, 0.0))
    assert zoomed.shape[:2] == (50, 50) and zoomed[0, -1, 0] == frame[25, 199, 0]  # clamped at the edge


def test_step_returns_panes_and_stage_timings(tiny_pipeline: LivePipeline) -> None:
    frame = tiny_pipeline.step()
    assert frame.panes.output.shape == (64, 64, 3) and frame.index == 1
    assert set(frame.timings) == {"capture", "crop", "keypoints", "generator", "display"}
    assert frame.calibrated and tiny_pipeline.feed_open
    tiny_pipeline.apply(Calibrate())
    assert not tiny_pipeline.session.is_calibrated
    tiny_pipeline.close()
    assert not tiny_pipeline.feed_open


def test_record_and_snapshot(tiny_pipeline: LivePipeline, tmp_path: Path) -> None:
    tiny_pipeline.apply(StartRecording(tmp_path / "rec.mp4", side_by_side=True))
    tiny_pipeline.apply(Snapshot(tmp_path / "snap.png"))
    for _ in range(3):
        tiny_pipeline.step()
    tiny_pipeline.apply(StopRecording())
    texts = [n.text for n in tiny_pipeline.take_notices()]
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
    avatar = save_png(tmp_path / "a.png", np.full((80, 80, 3), 120, np.uint8))
    pipeline = tiny_live_pipeline(tiny_models, avatar, display_size=160)
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


def test_bad_avatar_keeps_the_old_one(tiny_pipeline: LivePipeline, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    tiny_pipeline.apply(SetAvatar(bad))
    notices = tiny_pipeline.take_notices()
    assert notices[-1].kind == "error" and "bad.png" in notices[-1].text
    assert tiny_pipeline.step().panes.avatar.shape == (64, 64, 3)


def test_step_without_avatar_is_an_error(tiny_models) -> None:
    p = tiny_live_pipeline(tiny_models)
    with pytest.raises(FommError, match="no avatar"):
        p.step()
    p.close()


def test_pipelined_frames_carry_their_capture_time_and_the_capture_thread_ends_with_the_feed(
    tiny_models,
) -> None:
    pipeline = tiny_live_pipeline(tiny_models, pipelined=True)
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    try:
        frames = [pipeline.step() for _ in range(4)]
        capture = pipeline._capture
        assert capture is not None and capture.running
    finally:
        pipeline.close()
    times = [f.captured_at for f in frames]
    assert times == sorted(times) and len(set(times)) == 4  # each step a newer camera frame
    assert all(t <= time.perf_counter() for t in times)
    assert set(frames[-1].timings) == {"capture", "crop", "keypoints", "generator", "display"}
    assert not capture.running and not pipeline.feed_open


def test_a_lost_camera_reaches_the_pipelined_step(tiny_models) -> None:
    feed = FlakyFeed(SyntheticFeed(size=96, realtime=False), fail_after=2, recover_after=100)
    pipeline = tiny_live_pipeline(tiny_models, feed=lambda _spec: feed, pipelined=True)
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    with pytest.raises(CameraLostError, match="stopped delivering frames"):
        for _ in range(10):
            pipeline.step()
    pipeline.close()


def test_overlays_ask_the_engine_only_for_their_own_arrays(tiny_models) -> None:
    assert OverlayOptions().extras == frozenset() and OverlayOptions(keypoints=True).extras == frozenset()
    assert OverlayOptions(occlusion=True, flow=True).extras == {"occlusion_map", "deformation"}
    pipeline = tiny_live_pipeline(
        tiny_models, options=LiveOptions(face_crop=False, overlays=OverlayOptions(masks=True))
    )
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    asked: list[object] = []
    animate = pipeline.session.animate
    pipeline.session.animate = lambda frame, with_extras=True: (
        asked.append(with_extras) or animate(frame, with_extras)
    )  # type: ignore[method-assign]
    pipeline.step()
    pipeline.close()
    assert asked == [frozenset({"mask"})]


def test_a_large_portrait_is_animated_at_its_own_resolution(tiny_models, tmp_path: Path) -> None:
    """Snapshot and recording get the full-resolution paste-back; overlays stay on the crop."""
    from fomm_studio.paths import ASSETS_DIR

    portrait = read_image(ASSETS_DIR / "avatars" / "astronaut.png")  # 512 x 512, a real face
    pipeline = tiny_live_pipeline(tiny_models, ASSETS_DIR / "avatars" / "astronaut.png")
    pipeline.apply(Snapshot(tmp_path / "full.png"))
    plain = pipeline.step()
    snapshot = read_image(tmp_path / "full.png")
    assert snapshot.shape == portrait.shape  # 512 x 512, not the tiny model's 64 x 64
    assert np.abs(snapshot[:30, :30].astype(int) - portrait[:30, :30]).max() <= 1  # untouched corner
    pipeline.set_options(LiveOptions(face_crop=False, overlays=OverlayOptions(keypoints=True)))
    with_overlays = pipeline.step()
    assert not np.array_equal(plain.panes.output, with_overlays.panes.output)
    pipeline.set_options(LiveOptions(face_crop=False, paste_back=False))
    pipeline.apply(Snapshot(tmp_path / "model.png"))
    pipeline.step()
    pipeline.close()
    assert read_image(tmp_path / "model.png").shape == (64, 64, 3)


def test_keep_detail_sharpens_the_pasted_head_and_can_be_switched_off(tiny_models, tmp_path: Path) -> None:
    """The live output with detail transfer has the avatar's fine detail in the head square; switched off,
    the head is the plain upscale of the model's frame."""
    import cv2

    from fomm_studio.paths import ASSETS_DIR

    pipeline = tiny_live_pipeline(tiny_models, ASSETS_DIR / "avatars" / "astronaut.png")
    region = pipeline._paste.region if pipeline._paste is not None else None
    assert region is not None
    inner = region.side // 5
    head = (
        slice(region.top + inner, region.top + region.side - inner),
        slice(region.left + inner, region.left + region.side - inner),
    )
    sharpness = {}
    for keep in (True, False):
        pipeline.set_options(LiveOptions(face_crop=False, keep_detail=keep))
        pipeline.apply(Snapshot(tmp_path / f"{keep}.png"))
        pipeline.step()
        grey = cv2.cvtColor(read_image(tmp_path / f"{keep}.png")[head], cv2.COLOR_BGR2GRAY)
        sharpness[keep] = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    pipeline.close()
    assert sharpness[True] > 1.5 * sharpness[False], sharpness

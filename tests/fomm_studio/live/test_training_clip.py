"""Recording training clips from the live loop: the driving crops the model sees, every camera frame
once, at the model's frame size, into <dataset>/train/clip-<time>.mp4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fomm_studio.live.cropping import center_crop
from fomm_studio.live.feeds import SyntheticFeed, VideoFileFeed
from fomm_studio.live.messages import LiveOptions, RecordTrainingClip
from fomm_studio.live.overlays import resize_to
from fomm_studio.live.training_clip import new_clip_path, recorded_clips
from fomm_studio.media import VideoReader
from fomm_studio.paths import ASSETS_DIR
from fomm_studio.settings import Settings, training_clip_dataset
from tests.conftest import tiny_live_pipeline

SAMPLE = ASSETS_DIR / "sample_driving.mp4"


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_a_clip_of_the_synthetic_feed_holds_each_driving_crop_once_at_the_models_size(
    tiny_models, tmp_path: Path
) -> None:
    pipeline = tiny_live_pipeline(tiny_models, options=LiveOptions(face_crop=False, mirror=True))
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    dataset = tmp_path / "my-face"
    try:
        pipeline.step()  # one frame before: not in the clip
        pipeline.apply(RecordTrainingClip(dataset))
        seconds = [pipeline.step().clip_seconds for _ in range(12)]
        pipeline.apply(RecordTrainingClip(None))
        after = pipeline.step()
    finally:
        pipeline.close()
    assert seconds == pytest.approx([n / 30.0 for n in range(1, 13)])  # the synthetic feed's 30 fps
    assert after.clip_seconds is None
    clips = recorded_clips(dataset)
    assert len(clips) == 1 and clips[0].parent == dataset / "train" and clips[0].name.startswith("clip-")
    texts = [n.text for n in pipeline.take_notices()]
    assert any(t.startswith(f"Training clip saved: {clips[0]} (0.4 s, 12 frames)") for t in texts)
    reader = VideoReader(clips[0])
    frames = list(reader.frames())
    assert len(frames) == 12 and reader.size == (64, 64) and float(reader.fps_fraction) == 30.0
    feed = SyntheticFeed(size=96, realtime=False)
    for index in (0, 6, 11):  # camera frame 1 + index, mirrored, centre-cropped, at 64 px: what the model saw
        expected = resize_to(center_crop(feed.frame_at(1 + index)[:, ::-1]), 64)
        assert mean_abs(frames[index], expected) < 4.0
    assert mean_abs(frames[0], frames[11]) > 4.0  # the face moved: frames are not one held picture


def test_a_clip_of_the_sample_clip_has_the_expected_frames(tiny_models, tmp_path: Path) -> None:
    feed = VideoFileFeed(SAMPLE, realtime=False)
    pipeline = tiny_live_pipeline(tiny_models, feed=lambda _spec: feed, options=LiveOptions(face_crop=False))
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    try:
        pipeline.apply(RecordTrainingClip(tmp_path / "data"))
        for _ in range(20):
            pipeline.step()
    finally:
        pipeline.close()  # closing the live view finishes the clip
    (clip,) = recorded_clips(tmp_path / "data")
    reader = VideoReader(clip)
    first = next(iter(reader.frames()))
    source = next(iter(VideoReader(SAMPLE).frames()))
    assert len(list(reader.frames())) == 20 and first.shape == (64, 64, 3)
    assert mean_abs(first, resize_to(center_crop(source[:, ::-1]), 64)) < 4.0
    assert float(reader.fps_fraction) == pytest.approx(feed.fps, rel=1e-3)


def test_pipelined_clips_keep_every_camera_frame_not_only_those_the_model_took(
    tiny_models, tmp_path: Path
) -> None:
    pipeline = tiny_live_pipeline(tiny_models, pipelined=True)
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    try:
        pipeline.step()
        pipeline.apply(RecordTrainingClip(tmp_path / "d"))
        steps = 6
        for _ in range(steps):
            pipeline.step()
        pipeline.apply(RecordTrainingClip(None))
        dropped = pipeline.frames_dropped
    finally:
        pipeline.close()
    (clip,) = recorded_clips(tmp_path / "d")
    frames = len(list(VideoReader(clip).frames()))
    # at least the frames the model took (the first may have been cropped before the clip began)
    assert frames >= steps - 1
    assert dropped == 0 or frames >= steps  # frames the model skipped are in the clip


class AlternateFaces:
    """A cropper that finds a face in every other frame (odd calls)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, frame: np.ndarray, face_crop: bool, zoom: float, offset: tuple[float, float]):
        self.calls += 1
        return center_crop(frame), self.calls % 2 == 1


def test_with_follow_face_on_frames_without_a_face_are_left_out(tiny_models, tmp_path: Path) -> None:
    pipeline = tiny_live_pipeline(tiny_models, options=LiveOptions(face_crop=True))
    pipeline.cropper = AlternateFaces()
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    try:
        pipeline.apply(RecordTrainingClip(tmp_path / "d"))
        for _ in range(10):
            pipeline.step()
    finally:
        pipeline.close()
    (clip,) = recorded_clips(tmp_path / "d")
    assert len(list(VideoReader(clip).frames())) == 5


def test_a_clip_without_any_face_says_so_and_leaves_no_file(tiny_models, tmp_path: Path) -> None:
    pipeline = tiny_live_pipeline(tiny_models, options=LiveOptions(face_crop=True))  # plain crop: no face
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    try:
        pipeline.apply(RecordTrainingClip(tmp_path / "d"))
        for _ in range(3):
            pipeline.step()
        pipeline.apply(RecordTrainingClip(None))
    finally:
        pipeline.close()
    errors = [n.text for n in pipeline.take_notices() if n.kind == "error"]
    assert errors == [
        "Training clip not saved: no face was found in any of its 3 frames (turn Follow face off?)"
    ]
    assert recorded_clips(tmp_path / "d") == [] and not any((tmp_path / "d" / "train").iterdir())


def test_clip_names_follow_the_time_and_never_overwrite(tmp_path: Path) -> None:
    first = new_clip_path(tmp_path, now=0.0)
    first.parent.mkdir(parents=True)
    first.write_bytes(b"x")
    second = new_clip_path(tmp_path, now=0.0)
    assert first.name.endswith(".mp4") and second == first.with_name(first.stem + "-2.mp4")
    (tmp_path / "train" / "notes.txt").write_text("not a clip")
    assert recorded_clips(tmp_path) == [first]


def test_the_clip_dataset_defaults_under_the_output_folder(tmp_path: Path) -> None:
    assert training_clip_dataset(Settings(output_dir=str(tmp_path))) == tmp_path / "datasets" / "my-face"
    assert training_clip_dataset(Settings(clip_dataset=str(tmp_path / "x"))) == tmp_path / "x"


def test_a_clip_folder_that_cannot_be_made_is_one_error_line_and_no_clip(tiny_models, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    pipeline = tiny_live_pipeline(tiny_models, options=LiveOptions(face_crop=False))
    pipeline.set_avatar(np.full((64, 64, 3), 90, np.uint8))
    try:
        pipeline.apply(RecordTrainingClip(blocker / "my-face"))
        frame = pipeline.step()
    finally:
        pipeline.close()
    errors = [n.text for n in pipeline.take_notices() if n.kind == "error"]
    assert len(errors) == 1 and errors[0].startswith(
        f"Training clip not started: {blocker / 'my-face' / 'train'}: "
    )
    assert frame.clip_seconds is None

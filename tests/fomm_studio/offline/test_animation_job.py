"""fomm_studio.offline.animation_job: the offline pipeline behind `fomm animate` and the Animate tab."""

from __future__ import annotations

import threading
from pathlib import Path

import av
import numpy as np
import pytest

from engine.errors import FommError, MissingWeightsError
from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.media import VideoReader, read_video_frames, save_png
from fomm_studio.offline import animation_job
from fomm_studio.offline.animation_job import (
    AnimationCancelledError,
    AnimationJob,
    _Steps,
    best_reference_frame,
)
from tests.fomm_studio.media_samples import make_video


@pytest.fixture()
def inputs(tmp_path: Path, tiny_config_path: Path, tiny_checkpoint: Path) -> dict[str, Path]:
    source = save_png(tmp_path / "avatar.png", SyntheticFeed(size=80, seed=5).frame_at(0))
    driving = make_video(tmp_path / "driving.mp4", frames=8, fps=10, audio="aac")
    return {
        "config_path": tiny_config_path,
        "checkpoint_path": tiny_checkpoint,
        "source_path": source,
        "driving_path": driving,
        "output_path": tmp_path / "out" / "result.mp4",
    }


def test_job_writes_an_animation_with_the_driving_audio(inputs: dict[str, Path]) -> None:
    calls: list[tuple[int, int]] = []
    job = AnimationJob(**inputs, paste_back=False)  # the model's own 64x64 frames
    output = job.run(progress=lambda done, total: calls.append((done, total)))
    reader = VideoReader(output)
    assert (reader.frame_count, reader.fps, reader.size, reader.has_audio) == (8, 10.0, (64, 64), True)
    frames = read_video_frames(output)
    assert len(frames) == 8 and max(np.abs(f.astype(int) - frames[0]).max() for f in frames) > 0
    assert calls[-1] == (8, 8) and [c[0] for c in calls] == list(range(1, 9))
    assert sorted(p.name for p in output.parent.iterdir()) == ["result.mp4"]


def test_side_by_side_and_absolute_mode(inputs: dict[str, Path]) -> None:
    job = AnimationJob(**inputs, relative=False, adapt_scale=False, side_by_side=True, paste_back=False)
    output = job.run()
    assert VideoReader(output).size == (3 * 64, 64)


def test_cancel_leaves_no_output(inputs: dict[str, Path]) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 3:
            cancel.set()

    with pytest.raises(AnimationCancelledError, match="cancelled"):
        AnimationJob(**inputs).run(progress, cancel)
    assert list(inputs["output_path"].parent.iterdir()) == []


def test_bad_output_names_are_rejected(inputs: dict[str, Path]) -> None:
    with pytest.raises(FommError, match=r"result\.avi: the output must be an \.mp4 file"):
        AnimationJob(**{**inputs, "output_path": inputs["output_path"].with_suffix(".avi")}).run()
    with pytest.raises(FommError, match="would overwrite the driving video"):
        AnimationJob(**{**inputs, "output_path": inputs["driving_path"]}).run()


def test_find_best_frame_without_weights_says_what_to_download(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(MissingWeightsError, match="2DFAN4.*hub/checkpoints"):
        AnimationJob(**inputs, find_best_frame=True).run()
    assert not inputs["output_path"].exists()


class GreenLandmarks:
    """Stand-in for LandmarkDetector: the shape of its 'face' follows the image's green level, so the
    best match of a source is the driving frame with the same green level."""

    BASE = np.random.default_rng(0).normal(size=(68, 2))

    def __init__(self, device: str = "cpu") -> None:
        self.calls = 0

    def landmarks(self, image: np.ndarray) -> np.ndarray:
        self.calls += 1
        points = self.BASE.copy()
        points[0, 0] += float(image[..., 1].mean()) / 20.0
        return points


def test_best_reference_frame_is_the_closest_face(tmp_path: Path) -> None:
    driving = VideoReader(make_video(tmp_path / "driving.mp4", frames=10, audio=None))  # green = 10 * i
    frames = list(driving)
    source = np.zeros((32, 32, 3), np.uint8)
    source[..., 1] = float(frames[6][..., 1].mean())
    steps = _Steps(None, None, 10)
    best = best_reference_frame(source, driving, GreenLandmarks(), steps)  # type: ignore[arg-type]
    assert np.array_equal(best, frames[6]) and steps.done == 10


def test_find_best_frame_calibrates_on_the_best_frame(
    inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    references: list[np.ndarray] = []

    class RecordingSession(animation_job.AnimationSession):
        def calibrate(self, frame: np.ndarray | None = None) -> None:
            assert frame is not None
            references.append(frame)
            super().calibrate(frame)

    monkeypatch.setattr(animation_job, "check_landmark_weights", lambda: None)
    monkeypatch.setattr(animation_job, "LandmarkDetector", GreenLandmarks)
    monkeypatch.setattr(animation_job, "AnimationSession", RecordingSession)
    calls: list[tuple[int, int]] = []
    output = AnimationJob(**inputs, find_best_frame=True).run(lambda d, t: calls.append((d, t)))
    assert calls[-1] == (16, 16)  # landmark pass + animation pass
    driving = read_video_frames(inputs["driving_path"])
    source_green = float(
        GreenLandmarks().landmarks(np.asarray(SyntheticFeed(size=80, seed=5).frame_at(0)))[0, 0]
    )
    expected = int(np.argmin([abs(GreenLandmarks().landmarks(f)[0, 0] - source_green) for f in driving]))
    assert len(references) == 1 and np.array_equal(references[0], driving[expected])
    assert len(read_video_frames(output)) == 8
    with av.open(str(output)) as container:
        assert container.streams.audio

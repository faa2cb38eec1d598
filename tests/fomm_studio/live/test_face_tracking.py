"""fomm_studio.live.face_tracking and fomm_studio.offline.landmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from engine.errors import FommError, MissingWeightsError
from fomm_studio.live.face_tracking import (
    CropBox,
    FaceCropper,
    FaceRect,
    FaceTracker,
    HaarFaceDetector,
    TrackingOptions,
    centre_box,
    crop,
)
from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.offline.landmarks import FAN_FILE, S3FD_FILE, LandmarkDetector, normalised_landmarks

ASTRONAUT_FACE = (177, 66, 95, 95)  # where the cascade puts her face (x, y, w, h) at full size


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skimage.data.astronaut()  # 512 x 512 RGB, NASA, public domain


@pytest.fixture(scope="module")
def haar() -> HaarFaceDetector:
    return HaarFaceDetector()


def _centre(rect: FaceRect) -> np.ndarray:
    return np.array([rect[0] + rect[2] / 2, rect[1] + rect[3] / 2])


def test_cascade_finds_the_astronauts_face(astronaut: np.ndarray, haar: HaarFaceDetector) -> None:
    face = haar(astronaut)
    assert face is not None
    assert np.abs(_centre(face) - _centre(ASTRONAUT_FACE)).max() < 12
    assert 70 < face[2] < 130
    assert HaarFaceDetector(detect_size=128)(astronaut) is not None  # still found when downscaled


def test_search_near_the_last_face_agrees_with_a_whole_frame_search(
    astronaut: np.ndarray, haar: HaarFaceDetector
) -> None:
    frame = np.full((480, 640, 3), 96, np.uint8)
    frame[0 : 512 - 32, 100:612] = astronaut[32:]  # the face sits elsewhere than in the portrait
    whole = haar(frame)
    assert whole is not None
    x, y, w, h = whole
    nudged = (x + 9, y - 7, round(w * 1.15), round(h * 1.15))  # last frame's box, a little off
    near = haar.near(frame, nudged)
    assert near is not None
    assert np.abs(_centre(near) - _centre(whole)).max() < 0.12 * w
    assert 0.8 < near[2] / w < 1.25


def test_search_near_falls_back_to_the_whole_frame_when_the_face_jumped(
    astronaut: np.ndarray, haar: HaarFaceDetector
) -> None:
    far_away = (440, 400, 60, 60)  # bottom right: only background and suit there
    found = haar.near(astronaut, far_away)
    assert found is not None and np.abs(_centre(found) - _centre(ASTRONAUT_FACE)).max() < 12


def test_no_face_in_a_flat_image(haar: HaarFaceDetector) -> None:
    assert haar(np.full((240, 320, 3), 128, np.uint8)) is None


def test_tracker_box_holds_the_whole_head(astronaut: np.ndarray, haar: HaarFaceDetector) -> None:
    box, found = FaceTracker(haar).box(astronaut)
    assert found
    left, top, side = box.pixels()
    x, y, w, h = ASTRONAUT_FACE
    assert left < x and top < y - 0.3 * h and left + side > x + w and top + side > y + h
    assert side == pytest.approx(1.8 * w, rel=0.25)
    patch = crop(astronaut, box, out_size=64)
    assert patch.shape == (64, 64, 3)


def test_tracker_follows_the_synthetic_face(haar: HaarFaceDetector) -> None:
    source = SyntheticFeed(size=256)
    tracker = FaceTracker(haar, TrackingOptions(smoothing=0.0))
    for index in (0, 20, 40):
        box = tracker.update(source.frame_at(index))
        assert box is not None
        cx, cy = source.head_center(index)
        assert abs(box.cx - cx) < 25 and abs(box.cy - cy) < 40


class ScriptedDetector:
    """Returns the given detections in turn (None = no face) and counts its calls."""

    def __init__(self, detections: list[FaceRect | None]) -> None:
        self.detections, self.calls = detections, 0

    def __call__(self, frame: np.ndarray) -> FaceRect | None:
        self.calls += 1
        return self.detections[min(self.calls, len(self.detections)) - 1]


class ScriptedTrackingDetector(ScriptedDetector):
    """A ScriptedDetector that can also search near the last face; counts both kinds of call."""

    def __init__(self, detections: list[FaceRect | None]) -> None:
        super().__init__(detections)
        self.near_calls: list[FaceRect] = []

    def near(self, frame: np.ndarray, last: FaceRect) -> FaceRect | None:
        self.near_calls.append(last)
        return self(frame)


FRAME = np.zeros((240, 320, 3), np.uint8)


def test_tracker_searches_near_the_last_face_once_it_knows_one() -> None:
    faces: list[FaceRect | None] = [(100, 80, 60, 60), (104, 82, 60, 60), None, (90, 70, 60, 60)]
    detector = ScriptedTrackingDetector(faces)
    tracker = FaceTracker(detector, TrackingOptions(smoothing=0.0))
    for _ in faces:
        tracker.update(FRAME)
    # frame 1: whole frame (nothing known); 2 and 3: near the previous face; 4: whole frame after the miss
    assert detector.near_calls == [(100, 80, 60, 60), (104, 82, 60, 60)]
    assert detector.calls == 4


def test_smoothing_reduces_jitter() -> None:
    rng = np.random.default_rng(0)
    jitter = rng.normal(0, 4, size=(60, 3))
    faces: list[FaceRect | None] = [
        (round(100 + dx), round(80 + dy), round(60 + ds), round(60 + ds)) for dx, dy, ds in jitter
    ]
    raw = FaceTracker(ScriptedDetector(faces), TrackingOptions(smoothing=0.0))
    smooth = FaceTracker(ScriptedDetector(faces), TrackingOptions(smoothing=0.8))
    raw_boxes = [raw.update(FRAME) for _ in faces]
    smooth_boxes = [smooth.update(FRAME) for _ in faces]

    def step_rms(boxes: list[CropBox | None]) -> float:
        centres = np.array([(b.cx, b.cy, b.size) for b in boxes if b is not None])
        return float(np.sqrt((np.diff(centres[10:], axis=0) ** 2).mean()))

    assert step_rms(smooth_boxes) < 0.4 * step_rms(raw_boxes)
    final = smooth_boxes[-1]
    assert final is not None and abs(final.cx - 130) < 5 and abs(final.size - 108) < 8


def test_tracker_keeps_the_last_box_for_a_few_misses_then_gives_up() -> None:
    detector = ScriptedDetector([(100, 80, 60, 60), None, None, None])
    tracker = FaceTracker(detector, TrackingOptions(keep_frames=2))
    first = tracker.update(FRAME)
    assert first is not None
    assert tracker.update(FRAME) == first and tracker.update(FRAME) == first
    assert tracker.update(FRAME) is None and not tracker.face_found
    box, found = tracker.box(FRAME)
    assert not found and box == centre_box(FRAME.shape)


def test_detection_every_n_frames() -> None:
    detector = ScriptedDetector([(100, 80, 60, 60)])
    tracker = FaceTracker(detector, TrackingOptions(detect_every=3))
    for _ in range(7):
        tracker.update(FRAME)
    assert detector.calls == 3  # frames 0, 3 and 6


def test_manual_zoom_and_offset_apply_on_top_of_tracking() -> None:
    tracker = FaceTracker(ScriptedDetector([(100, 80, 60, 60)]), TrackingOptions(raise_head=0.0))
    box, found = tracker.box(FRAME, zoom=2.0, offset=(0.25, -0.5))
    assert found
    assert (box.cx, box.cy, box.size) == pytest.approx((130 + 0.25 * 108, 110 - 0.5 * 108, 54))


def test_crop_at_borders_is_square_and_edge_padded() -> None:
    frame = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    corner = crop(frame, CropBox(0.0, 0.0, 16.0))
    assert corner.shape == (16, 16, 3)
    assert np.array_equal(corner[0, 0], frame[0, 0]) and np.array_equal(corner[8:, 8:], frame[:8, :8])
    outside = crop(frame, CropBox(-100.0, 50.0, 10.0))
    assert outside.shape == (10, 10, 3) and (outside == frame[19, 0]).all()
    bigger = crop(frame, CropBox(15.0, 10.0, 40.0))
    assert bigger.shape == (40, 40, 3) and np.array_equal(bigger[10:30, 5:35], frame)


def test_face_cropper_matches_the_live_loop_contract(astronaut: np.ndarray, haar: HaarFaceDetector) -> None:
    cropper = FaceCropper(FaceTracker(haar), out_size=128)
    face, found = cropper(astronaut, True, 1.0, (0.0, 0.0))
    assert found and face.shape == (128, 128, 3)
    plain, found = cropper(astronaut[:, :400], False, 1.0, (0.0, 0.0))
    assert not found and plain.shape == (128, 128, 3)


def test_missing_cascade_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(MissingWeightsError, match="frontal.xml: face detector file frontal.xml not found"):
        HaarFaceDetector(tmp_path / "frontal.xml")


def test_missing_landmark_weights_name_files_and_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    with pytest.raises(MissingWeightsError) as info:
        LandmarkDetector()
    message = str(info.value)
    assert S3FD_FILE in message and FAN_FILE in message and str(folder) in message
    folder.mkdir(parents=True)
    (folder / S3FD_FILE).write_bytes(b"x")
    with pytest.raises(MissingWeightsError, match=f"missing in {folder}: 2DFAN4") as info:
        LandmarkDetector()
    assert S3FD_FILE not in str(info.value)


def test_corrupt_landmark_weights_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    for name in (S3FD_FILE, FAN_FILE):
        (folder / name).write_bytes(b"not a checkpoint")
    with pytest.raises(FommError, match="could not be loaded"):
        LandmarkDetector()


def test_normalised_landmarks_ignore_position_and_size() -> None:
    points = np.random.default_rng(1).normal(size=(68, 2))
    moved = points * 3.5 + np.array([40.0, -7.0])
    np.testing.assert_allclose(normalised_landmarks(moved), normalised_landmarks(points), atol=1e-9)
    assert np.sqrt((normalised_landmarks(points) ** 2).sum(axis=1).mean()) == pytest.approx(1.0)


def test_auto_device_reaches_face_alignment_as_a_real_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--device auto --find-best-frame` once handed the string 'auto' to face-alignment."""
    import face_alignment

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    for name in (S3FD_FILE, FAN_FILE):
        (folder / name).write_bytes(b"weights")
    devices: list[str] = []
    monkeypatch.setattr(face_alignment, "FaceAlignment", lambda *a, **k: devices.append(k["device"]))
    LandmarkDetector("auto")
    assert devices == ["cuda" if torch.cuda.is_available() else "cpu"]

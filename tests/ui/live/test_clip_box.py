"""The Live tab's "Record training clip": driving crops into the clip dataset, with a seconds counter."""

from __future__ import annotations

from pathlib import Path

import pytest

from fomm_studio.api import LiveFrame, recorded_clips
from fomm_studio.media import VideoReader

pytestmark = pytest.mark.timeout(120)


def test_record_training_clip_writes_the_driving_crops_and_counts_seconds(
    qtbot, make_window, avatar_path: Path, tmp_path: Path
) -> None:
    window = make_window()
    window.settings.output_dir = str(tmp_path / "out")
    window.live.clip_box.hide()
    window.live.clip_box.show()  # shown again: the folder follows the output folder
    live, box = window.live, window.live.clip_box
    dataset = tmp_path / "out" / "datasets" / "my-face"
    assert box.folder_label.text() == f"Saves to {dataset / 'train'}"
    errors: list[str] = []
    live.error.connect(errors.append)
    box.record_button.click()  # not running yet: refused, toggle off
    assert not box.recording and errors == ["Start the live view before recording a training clip."]
    live.gallery.add(avatar_path)
    assert live.start()
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        pass
    box.record_button.click()
    assert box.recording and box.counter.isVisible() and box.counter.text() == "● CLIP 0:00 recorded"
    seen: list[float | None] = []

    def clip_seconds(frame: LiveFrame) -> None:
        seen.append(frame.clip_seconds)

    live.frame_shown.connect(clip_seconds)
    qtbot.waitUntil(lambda: any(s is not None and s > 0.2 for s in seen), timeout=30000)
    box.record_button.click()
    assert not box.counter.isVisible()
    qtbot.waitUntil(lambda: "Training clip saved: " in window.status_label.text(), timeout=20000)
    (clip,) = recorded_clips(dataset)
    reader = VideoReader(clip)
    frames = list(reader.frames())
    assert reader.size == (64, 64)  # the tiny model's frame size, whatever the camera's
    recorded = max(s for s in seen if s is not None)
    assert len(frames) >= round(recorded * float(reader.fps_fraction))  # at least what the counter said
    assert (
        f"({len(frames) / float(reader.fps_fraction):.1f} s, {len(frames)} frames)"
        in window.status_label.text()
    )
    assert errors == ["Start the live view before recording a training clip."]


def test_stopping_the_live_view_finishes_the_clip_and_resets_the_toggle(
    qtbot, make_window, avatar_path: Path, tmp_path: Path
) -> None:
    window = make_window()
    window.settings.clip_dataset = str(tmp_path / "faces")
    live, box = window.live, window.live.clip_box
    live.gallery.add(avatar_path)
    assert live.start()
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        pass
    box.record_button.click()
    for _ in range(3):
        with qtbot.waitSignal(live.frame_shown, timeout=30000):
            pass
    with qtbot.waitSignal(live.running_changed, timeout=30000):
        live.stop()
    assert not box.recording and not box.counter.isVisible()
    qtbot.waitUntil(lambda: len(recorded_clips(tmp_path / "faces")) == 1, timeout=20000)
    assert len(list(VideoReader(recorded_clips(tmp_path / "faces")[0]).frames())) >= 2


def clip_frame(seconds: float | None) -> LiveFrame:
    return LiveFrame(None, 1, {}, False, True, False, clip_seconds=seconds)  # type: ignore[arg-type]


def test_the_toggle_waits_out_stale_frames_and_goes_off_when_the_clip_never_started(qtbot) -> None:
    from fomm_studio.api import RecordTrainingClip, Settings
    from ui.live.clip_box import TrainingClipBox

    posted: list[object] = []
    box = TrainingClipBox(Settings(clip_dataset="/data/me"), posted.append, lambda: True, print)
    qtbot.addWidget(box)
    box.record_button.click()
    assert posted == [RecordTrainingClip(Path("/data/me"))]
    for seconds in (None, None, 0.5):  # two frames made before the worker took the command, then the clip
        box.show_frame(clip_frame(seconds))
    assert box.recording and box.counter.text() == "● CLIP 0:00 recorded"
    box.show_frame(clip_frame(2.4))
    assert box.counter.text() == "● CLIP 0:02 recorded"
    box.record_button.click()
    box.record_button.click()  # a clip that cannot start (unwritable folder): no count ever comes back
    for _ in range(3):
        box.show_frame(clip_frame(None))
    assert not box.recording and not box.counter.isVisible()
    assert posted[1:] == [RecordTrainingClip(None), RecordTrainingClip(Path("/data/me"))]

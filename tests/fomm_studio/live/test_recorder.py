"""Recorder: frames encoded on its own thread into a real mp4; failures and empty recordings reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fomm_studio.live.recorder import Recorder, RecorderError
from fomm_studio.media import VideoReader


def test_records_a_decodable_mp4(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rec.mp4"
    recorder = Recorder(path, fps=25)
    frames = [np.full((64, 96, 3), i * 20, np.uint8) for i in range(10)]
    for i, frame in enumerate(frames):
        recorder.write(frame, timestamp=i / 25)
    assert recorder.close(timestamp=10 / 25) == path
    reader = VideoReader(path)
    decoded = list(reader.frames())
    assert len(decoded) == 10 and decoded[0].shape == (64, 96, 3)
    assert abs(float(decoded[5].mean()) - 100) < 6


def test_writer_failure_is_reported_and_later_frames_refused(tmp_path: Path) -> None:
    class Broken:
        def write(self, frame: np.ndarray) -> None:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            pass

    recorder = Recorder(tmp_path / "x.mp4", 25, writer_factory=lambda _p, _f: Broken())
    recorder.write(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(RecorderError, match=r"x\.mp4: recording failed: .*No space left"):
        recorder.close()
    assert recorder.write(np.zeros((8, 8, 3), np.uint8)) is False


def test_empty_recording_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RecorderError, match="nothing was recorded"):
        Recorder(tmp_path / "e.mp4", 25).close()
    assert not (tmp_path / "e.mp4").exists()


def _decoded(path: Path) -> list[np.ndarray]:
    return list(VideoReader(path).frames())


def test_slow_live_frames_last_as_long_as_they_were_shown(tmp_path: Path) -> None:
    """1 fps live for 5 s gives a 5 s file at 25 fps: each frame held until the next one's time."""
    recorder = Recorder(tmp_path / "slow.mp4", fps=25)
    for second in range(5):
        assert recorder.write(np.full((32, 32, 3), 40 * second, np.uint8), timestamp=100.0 + second)
    recorder.close(timestamp=105.0)
    decoded = _decoded(tmp_path / "slow.mp4")
    assert len(decoded) == 125 and recorder.duration == pytest.approx(5.0)
    means = [float(f.mean()) for f in decoded]
    assert means[0] == pytest.approx(0, abs=4) and means[62] == pytest.approx(80, abs=4)  # t = 2.5 s
    assert means[124] == pytest.approx(160, abs=4)


def test_fast_live_frames_keep_real_time(tmp_path: Path) -> None:
    """60 fps live for 2 s gives 2 s at 25 fps (frames between two output frames are skipped)."""
    recorder = Recorder(tmp_path / "fast.mp4", fps=25, max_queue=200)  # no drops: content is checked
    for i in range(120):
        recorder.write(np.full((32, 32, 3), i * 2, np.uint8), timestamp=i / 60)
    recorder.close(timestamp=2.0)
    decoded = _decoded(tmp_path / "fast.mp4")
    assert len(decoded) == 50
    assert float(decoded[25].mean()) == pytest.approx(120, abs=5)  # t = 1.0 s shows live frame 60


def test_a_stalled_loop_does_not_fill_the_disk(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "stall.mp4", fps=10)
    recorder.write(np.zeros((16, 16, 3), np.uint8), timestamp=0.0)
    recorder.write(np.zeros((16, 16, 3), np.uint8), timestamp=3600.0)
    recorder.close(timestamp=3600.1)
    assert recorder.frames_written == 2 * 10 * 10  # each frame held at most 10 s, not an hour

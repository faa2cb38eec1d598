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
    for frame in frames:
        recorder.write(frame)
    assert recorder.close() == path
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

"""CaptureLoop: read + crop on their own thread, newest crop wins, feed errors reach the consumer."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from fomm_studio.live.capture import CaptureLoop
from fomm_studio.live.feeds import CameraLostError


class CountingFeed:
    """Frame i is filled with i; after `fail_after` frames the camera is 'unplugged'."""

    name = "counting"
    fps = 1000.0

    def __init__(self, fail_after: int | None = None, period: float = 0.0):
        self.count = 0
        self.fail_after = fail_after
        self.period = period
        self.gate = threading.Event()
        self.gate.set()

    def read(self) -> np.ndarray:
        self.gate.wait()
        if self.fail_after is not None and self.count >= self.fail_after:
            raise CameraLostError("camera 0 stopped delivering frames (unplugged?)")
        time.sleep(self.period)
        self.count += 1
        return np.full((8, 12, 3), self.count % 256, np.uint8)

    def open(self) -> None: ...

    def close(self) -> None: ...


def _crop(frame: np.ndarray) -> tuple[np.ndarray, bool]:
    return frame[:, 2:10], True


def test_the_newest_crop_wins_and_skipped_ones_are_counted() -> None:
    feed = CountingFeed(period=0.002)
    loop = CaptureLoop(feed, _crop).start()
    try:
        first = loop.take()
        time.sleep(0.1)  # a slow model: the camera goes on meanwhile
        newest = loop.take()
    finally:
        loop.stop()
    assert first.crop.shape == (8, 8, 3) and first.face_found
    assert newest.sequence > first.sequence + 1 and loop.dropped >= newest.sequence - first.sequence - 1
    assert newest.captured_at > first.captured_at and newest.read_ms >= 0 and newest.crop_ms >= 0
    assert int(newest.crop[0, 0, 0]) == newest.sequence % 256
    assert not loop.running


def test_a_crop_is_never_taken_twice() -> None:
    feed = CountingFeed()
    feed.gate.clear()  # the camera has no new frame yet
    loop = CaptureLoop(feed, _crop).start()
    try:
        feed.gate.set()
        taken = loop.take()
        feed.gate.clear()
        time.sleep(0.02)  # the thread may have read one more frame before the gate closed
        sequences = {taken.sequence}
        while True:
            try:
                sequences.add(loop.take(timeout=0.1).sequence)
            except CameraLostError:  # no new frame: the gate is closed
                break
        assert len(sequences) <= 3
    finally:
        feed.gate.set()
        loop.stop()


def test_a_feed_error_reaches_the_consumer() -> None:
    loop = CaptureLoop(CountingFeed(fail_after=3), _crop).start()
    with pytest.raises(CameraLostError, match="unplugged"):
        for _ in range(10):
            loop.take()
    loop.stop()
    assert not loop.running

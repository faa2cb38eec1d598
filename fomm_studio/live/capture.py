"""Capture and face cropping on a thread of their own, so they overlap the model's work.

The sequential live loop pays read + crop + inference per frame; a camera read waits for the next
frame and face tracking costs milliseconds, while the CPU (or GPU) could already animate the previous
crop. `CaptureLoop` reads and crops continuously and keeps only the newest crop ("latest frame wins":
the model never works on a stale frame, and frames it had no time for are counted as dropped). Each
crop carries the time its frame was read, so the GUI can report camera-to-screen latency.

Errors of the feed (camera unplugged, a file that cannot be decoded, the end of a clip) end the thread
and are raised to the consumer by its next `take()`, so the caller handles them exactly as it would
handle a failing `read()`; a feed that delivers nothing for too long counts as a lost camera.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fomm_studio.live.feeds import CameraLostError, FrameFeed

CropFn = Callable[[np.ndarray], tuple[np.ndarray, bool]]


@dataclass(frozen=True)
class Captured:
    """One cropped camera frame. `captured_at` is `time.perf_counter()` when the feed returned it."""

    sequence: int
    crop: np.ndarray
    face_found: bool
    captured_at: float
    read_ms: float
    crop_ms: float


class CaptureLoop:
    """Reads `feed` and crops each frame with `crop` on a background thread; `take()` the newest."""

    def __init__(self, feed: FrameFeed, crop: CropFn):
        self.feed = feed
        self.crop = crop
        self.dropped = 0  # crops replaced before anyone took them
        self._latest: Captured | None = None
        self._taken = 0  # sequence number of the last crop taken
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="fomm-capture", daemon=True)

    def start(self) -> CaptureLoop:
        self._thread.start()
        return self

    def take(self, timeout: float = 5.0) -> Captured:
        """The newest crop not taken yet, waiting up to `timeout` s for one; raises the feed's error
        when the capture thread stopped with one, `CameraLostError` when no frame came in time (a
        stalled camera is retried like an unplugged one)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                latest = self._latest
                if latest is not None and latest.sequence > self._taken:
                    self._taken = latest.sequence
                    return latest
                if self._error is not None:
                    raise self._error
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    raise CameraLostError(f"{self.feed.name}: no frame within {timeout:.1f} s")
                self._changed.wait(remaining)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (a blocked camera read ends at its next frame)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        sequence = 0
        try:
            while not self._stop.is_set():
                start = time.perf_counter()
                frame = self.feed.read()
                read_done = time.perf_counter()
                crop, found = self.crop(frame)
                sequence += 1
                captured = Captured(
                    sequence,
                    np.ascontiguousarray(crop),
                    found,
                    read_done,
                    (read_done - start) * 1000.0,
                    (time.perf_counter() - read_done) * 1000.0,
                )
                with self._changed:
                    if self._latest is not None and self._latest.sequence > self._taken:
                        self.dropped += 1
                    self._latest = captured
                    self._changed.notify_all()
        except Exception as exc:  # noqa: BLE001 - any feed failure is handed to the consumer as is
            with self._changed:
                self._error = exc
                self._changed.notify_all()

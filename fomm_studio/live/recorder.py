"""Recording the live output to an mp4 on a thread of its own, so encoding never stalls the live loop
or the GUI. Frames go through a small bounded queue; when the encoder falls behind, frames are
dropped (and counted) rather than piling up in memory.

The file has a constant frame rate, but each live frame carries the time it was shown: the encoder
holds every frame on screen until the next one's time, so a recording lasts as long as it was
recorded whatever the live fps (1 fps or 60), and a dropped frame only lengthens its predecessor."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from engine.errors import FommError
from fomm_studio.live.messages import Notice
from fomm_studio.media import save_png

log = logging.getLogger(__name__)


class RecorderError(FommError):
    """Recording failed (disk full, unwritable folder, encoder error); names the file."""


class FrameWriter(Protocol):
    """What the recorder needs from a video writer: frames in, then close (which commits the file)."""

    def write(self, frame: np.ndarray) -> None: ...

    def close(self) -> object: ...


WriterFactory = Callable[[Path, float], FrameWriter]


def default_writer(path: Path, fps: float) -> FrameWriter:
    """H.264 mp4 writer from fomm_studio.media (atomic: the file appears complete or not at all)."""
    from fomm_studio.media import VideoWriter

    return VideoWriter(path, fps=fps, preset="veryfast")


_MAX_HOLD_SECONDS = 10.0  # a frame held longer (the loop stalled) is cut, so a stall cannot fill the disk


class _Stop:
    """The close marker; carries the time recording stopped, which ends the last frame."""

    def __init__(self, timestamp: float):
        self.timestamp = timestamp


class Recorder:
    """Encode frames to `path` on a background thread. Use `write` per frame and `close` once."""

    def __init__(
        self, path: str | Path, fps: float, writer_factory: WriterFactory | None = None, max_queue: int = 16
    ):
        self.path = Path(path)
        self.fps = fps
        self._factory = writer_factory or default_writer
        self._queue: queue.Queue[tuple[np.ndarray, float] | _Stop] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="fomm-recorder", daemon=True)
        self._error: BaseException | None = None
        self.frames_written = 0
        self.frames_dropped = 0
        self._closed = False
        self._start: float | None = None  # timestamp of the first frame: output time zero
        self._held: np.ndarray | None = None  # the frame on screen, written once its end is known
        self._thread.start()

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def duration(self) -> float:
        """Seconds of video written so far."""
        return self.frames_written / self.fps

    def write(self, frame: np.ndarray, timestamp: float | None = None) -> bool:
        """Queue one uint8 RGB frame shown at `timestamp` (seconds, `time.perf_counter()` clock; now when
        None); False when it was dropped (encoder behind, or failed)."""
        if self._closed or self._error is not None:
            return False
        when = time.perf_counter() if timestamp is None else timestamp
        try:
            self._queue.put_nowait((np.ascontiguousarray(frame), when))
        except queue.Full:
            self.frames_dropped += 1
            return False
        return True

    def close(self, timeout: float = 30.0, timestamp: float | None = None) -> Path:
        """Finish the file, the last frame lasting until `timestamp` (now when None), and wait for the
        encoder; raises `RecorderError` if anything failed."""
        if not self._closed:
            self._closed = True
            self._queue.put(_Stop(time.perf_counter() if timestamp is None else timestamp))
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise RecorderError(f"{self.path}: the encoder did not finish within {timeout:.0f} s")
        if self._error is not None:
            raise RecorderError(f"{self.path}: recording failed: {self._error}") from self._error
        if self.frames_written == 0:
            raise RecorderError(f"{self.path}: nothing was recorded (no frames arrived)")
        return self.path

    def _run(self) -> None:
        writer: FrameWriter | None = None
        try:
            while True:
                item = self._queue.get()
                if isinstance(item, _Stop):
                    if writer is not None:
                        self._flush_held(writer, item.timestamp, last=True)
                    break
                frame, timestamp = item
                if writer is None:
                    writer = self._factory(self.path, self.fps)
                    self._start = timestamp
                self._flush_held(writer, timestamp, last=False)
                self._held = frame
        except (FommError, OSError, ValueError, RuntimeError) as exc:
            log.warning("%s: recording failed: %s", self.path, exc)
            self._error = exc
            self._drain()
        finally:
            if writer is not None:
                self._close_writer(writer)

    def _flush_held(self, writer: FrameWriter, until: float, last: bool) -> None:
        """Write the held frame as many times as fill the output up to `until` (the next frame's time).

        Output frame i covers [i / fps, (i + 1) / fps); a frame shown at t starts at frame round(t * fps).
        A recording stopped within one output frame of its start still gets its one frame."""
        if self._held is None or self._start is None:
            return
        due = round((until - self._start) * self.fps)
        due = min(due, self.frames_written + round(_MAX_HOLD_SECONDS * self.fps))
        if last:
            due = max(due, 1)
        while self.frames_written < due:
            writer.write(self._held)
            self.frames_written += 1

    def _close_writer(self, writer: FrameWriter) -> None:
        try:
            writer.close()
        except (FommError, OSError, ValueError, RuntimeError) as exc:
            if self._error is None:
                self._error = exc

    def _drain(self) -> None:
        """Empty the queue after a failure so a blocked `close` can put its stop marker."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


def save_snapshot(path: Path, image: np.ndarray) -> Notice:
    """Save one output frame as a PNG; the notice says where, or why it failed."""
    try:
        save_png(path, image)
    except (FommError, OSError) as exc:
        return Notice("error", f"Snapshot failed: {exc}")
    return Notice("info", f"Snapshot saved: {path}")

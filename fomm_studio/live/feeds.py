"""Frame sources for the live view (camera, video file, synthetic face), without Qt.

Every source delivers uint8 RGB (H, W, 3) frames from `read()`, which blocks for at most about one
frame period. A source that cannot start raises `FeedError`; one that stops delivering while
running (camera unplugged) raises `CameraLostError`, after which the caller may `close()` and
`open()` it again. A video file that is missing, cannot be decoded or has ended raises
`VideoFeedError`: unlike a camera, it will not come back by retrying.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypeVar, runtime_checkable

import cv2
import numpy as np

from engine.errors import FommError
from fomm_studio.media import MediaError, VideoReader
from trainer.synthetic.render import LoopingCartoon

DEFAULT_CAMERA_FPS = 30.0
LOOP_FRAMES = 300  # the synthetic face's motion repeats after this many frames
DEFAULT_SEED = 5  # a synthetic face the Haar face tracker finds in every frame
_S = TypeVar("_S")


class FeedError(FommError):
    """A frame source that cannot be opened or read; names the camera index or the file."""


class CameraLostError(FeedError):
    """A running source stopped delivering frames (camera unplugged, driver hiccup)."""


class VideoFeedError(FeedError):
    """A video file that cannot be played (missing, undecodable, no frames): retrying will not help."""


class FeedExhaustedError(VideoFeedError):
    """A non-looping video file reached its end."""


@runtime_checkable
class FrameFeed(Protocol):
    """What the live loop reads frames from. Our sources always know `fps` (a camera whose driver does
    not say reports a nominal 30); wrappers may report None until opened."""

    name: str

    @property
    def fps(self) -> float | None: ...

    def open(self) -> None: ...

    def read(self) -> np.ndarray: ...

    def close(self) -> None: ...

    def __enter__(self: _S) -> _S: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


_CF = TypeVar("_CF", bound="_ContextFeed")


class _ContextFeed:
    """`with source:` opens it and always closes it."""

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _CF) -> _CF:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Pacer:
    """Sleeps so that successive `wait()` calls are one frame period apart (real-time playback).

    When the caller falls behind by more than a period, the schedule restarts from now instead of
    rushing through frames to catch up.
    """

    def __init__(self, fps: float):
        self.period = 1.0 / fps if fps > 0 else 0.0
        self._due: float | None = None

    def wait(self) -> None:
        now = time.monotonic()
        if self._due is None or now - self._due > self.period:
            self._due = now
        elif self._due > now:
            time.sleep(self._due - now)
        self._due += self.period

    def reset(self) -> None:
        self._due = None


class CameraFeed(_ContextFeed):
    """A webcam through `cv2.VideoCapture`; optional requested capture size."""

    kind = "camera"  # what `source_info.feed_kind` reports: a real face is in front of it

    def __init__(self, index: int, width: int | None = None, height: int | None = None):
        self.index = index
        self.name = f"camera {index}"
        self.width, self.height = width, height
        self.fps: float = DEFAULT_CAMERA_FPS
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        if self._capture is not None:
            return
        capture = cv2.VideoCapture(self.index)
        if not capture.isOpened():
            capture.release()
            raise FeedError(f"camera {self.index} not found or busy (is another program using it?)")
        if self.width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        reported = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(reported) if 0 < reported < 1000 else DEFAULT_CAMERA_FPS
        self._capture = capture

    def read(self) -> np.ndarray:
        if self._capture is None:
            raise FeedError(f"camera {self.index} is not open")
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraLostError(f"camera {self.index} stopped delivering frames (unplugged?)")
        if frame.ndim == 2:
            return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()


class VideoFileFeed(_ContextFeed):
    """A video file played at its own frame rate, at `fps` (a faster camera's stand-in: benchmarks whose
    live view must not wait for a 25 fps clip), or as fast as possible; looping by default."""

    kind = "video"

    def __init__(self, path: str | Path, loop: bool = True, realtime: bool = True, fps: float | None = None):
        self.path = Path(path)
        self.name = self.path.name
        self.loop, self.realtime = loop, realtime
        self.fps: float = DEFAULT_CAMERA_FPS
        self._fps_override = fps
        self._reader: VideoReader | None = None
        self._frames: Iterator[np.ndarray] | None = None
        self._pacer = Pacer(self.fps)

    def open(self) -> None:
        if self._reader is not None:
            return
        try:
            self._reader = VideoReader(self.path)
        except MediaError as exc:
            raise VideoFeedError(str(exc)) from exc
        self.fps = self._fps_override or self._reader.fps
        self._pacer = Pacer(self.fps)
        self._frames = self._reader.frames()

    def read(self) -> np.ndarray:
        if self._reader is None or self._frames is None:
            raise FeedError(f"{self.path}: video source is not open")
        frame = self._next_frame()
        if frame is None:
            if not self.loop:
                raise FeedExhaustedError(f"{self.path}: end of video")
            self._close_frames()
            self._frames = self._reader.frames()
            frame = self._next_frame()
            if frame is None:
                raise VideoFeedError(f"{self.path}: video stopped delivering frames")
        if self.realtime:
            self._pacer.wait()
        return frame

    def _next_frame(self) -> np.ndarray | None:
        assert self._frames is not None  # read() checked it
        try:
            return next(self._frames, None)
        except MediaError as exc:  # the file changed or broke since it was opened
            raise VideoFeedError(str(exc)) from exc

    def _close_frames(self) -> None:
        frames, self._frames = self._frames, None
        if frames is not None and hasattr(frames, "close"):
            frames.close()  # closes the decoder's file now rather than at garbage collection

    def close(self) -> None:
        self._close_frames()
        self._reader = None
        self._pacer.reset()


class SyntheticFeed(_ContextFeed):
    """A moving cartoon face: a camera stand-in for demos, tests and headless machines.

    The face is the synthetic training set's talking head (`trainer.synthetic.render.LoopingCartoon`):
    it turns, nods, blinks and talks in a seamless loop of ten seconds at 30 fps. Frame i is a pure
    function of (size, seed, i).
    """

    kind = "synthetic"

    def __init__(self, size: int = 256, fps: float = 30.0, seed: int = DEFAULT_SEED, realtime: bool = True):
        if size < 16:
            raise FeedError(f"synthetic source: size {size} is too small (need 16 or more)")
        if not fps > 0:
            raise FeedError(f"synthetic source: fps must be positive, got {fps}")
        self.name = "synthetic face"
        self.fps: float = float(fps)
        self.realtime = realtime
        self.cartoon = LoopingCartoon(seed, size, period=LOOP_FRAMES)
        self.frame_index = 0
        self._open = False
        self._pacer = Pacer(self.fps)

    def open(self) -> None:
        self._open = True

    def frame_at(self, index: int) -> np.ndarray:
        """The frame with this index (deterministic): uint8 RGB (size, size, 3)."""
        return self.cartoon.frame(index)

    def head_center(self, index: int) -> tuple[float, float]:
        """Where the frame with this index shows the centre of the head, in pixels (x, y)."""
        return self.cartoon.head_center(index)

    def read(self) -> np.ndarray:
        if not self._open:
            raise FeedError("synthetic source is not open")
        frame = self.frame_at(self.frame_index)
        self.frame_index += 1
        if self.realtime:
            self._pacer.wait()
        return frame

    def close(self) -> None:
        self._open = False
        self._pacer.reset()


def open_feed(spec: str) -> FrameFeed:
    """A source (not yet opened) from a user's choice: "0"/"1"... a camera index, "synthetic", or a
    video file path; "clip.mp4@60" plays the file at 60 fps instead of its own rate."""
    text = spec.strip()
    if text.isdigit():
        return CameraFeed(int(text))
    if text.lower() == "synthetic":
        return SyntheticFeed()
    name, _, rate = text.rpartition("@")
    if name and not Path(text).expanduser().is_file() and Path(name).expanduser().is_file():
        try:
            fps = float(rate)
        except ValueError:
            fps = 0.0
        if not 0 < fps <= 1000:
            raise VideoFeedError(f"{text}: the rate after '@' must be frames a second in (0, 1000]")
        return VideoFileFeed(Path(name).expanduser(), fps=fps)
    path = Path(text).expanduser()
    if not text or not path.is_file():
        raise VideoFeedError(
            f"{text or '(empty)'}: video file not found (expected a camera index, "
            f"'synthetic' or a video file)"
        )
    return VideoFileFeed(path)

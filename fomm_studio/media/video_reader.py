"""Reading video files frame by frame (PyAV), with errors that name the file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from fomm_studio.media.errors import MediaError, check_input_file, describe_os_error
from trainer import video_messages as words

log = logging.getLogger(__name__)

DEFAULT_FPS = Fraction(25)
# FFmpeg "decoders" that render text files as pictures (chosen from extensions like .txt or .bin):
# such a file is never the video the user meant.
TEXT_ART_CODECS = words.TEXT_ART_CODECS


def _open_container(path: Path) -> av.container.InputContainer:
    """av.open with every failure turned into a MediaError naming the file."""
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise MediaError(words.unreadable(path, _reason(exc))) from exc
    except OSError as exc:
        raise describe_os_error(path, exc, "opening the video") from exc


def _reason(exc: av.error.FFmpegError) -> str:
    return words.ffmpeg_reason(exc)


class VideoReader:
    """A video file's properties plus iteration over its frames as uint8 RGB (H, W, 3).

    Opening validates the file (exists, non-empty, has a video stream, first frame decodes). Each
    iteration re-opens the file, so a reader can be iterated several times. A truncated file yields
    the frames that decode and then stops.
    """

    def __init__(self, path: str | Path):
        self.path = check_input_file(path, "video")
        container = _open_container(self.path)
        try:
            self._read_properties(container)
            self._check_first_frame(container)
        finally:
            container.close()

    @classmethod
    def open(cls, path: str | Path) -> VideoReader:
        return cls(path)

    def _read_properties(self, container: av.container.InputContainer) -> None:
        if not container.streams.video:
            raise MediaError(words.no_video_stream(self.path))
        stream = container.streams.video[0]
        if stream.codec_context.name in TEXT_ART_CODECS:
            raise MediaError(words.not_a_video(self.path))
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        self.fps_fraction: Fraction = Fraction(rate) if rate and rate > 0 else DEFAULT_FPS
        self.size: tuple[int, int] = (int(stream.width), int(stream.height))  # (width, height)
        self.duration: float = self._duration(container, stream)
        self._frames_in_header = int(stream.frames or 0)
        self.has_audio: bool = bool(container.streams.audio)

    @staticmethod
    def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / av.time_base
        return 0.0

    def _check_first_frame(self, container: av.container.InputContainer) -> None:
        first = next(self._decode(container, max_frames=1), None)
        if first is None:
            raise MediaError(words.no_frames(self.path))
        self.size = (first.shape[1], first.shape[0])  # as displayed, i.e. after rotation

    @property
    def fps(self) -> float:
        return float(self.fps_fraction)

    @property
    def frame_count(self) -> int:
        """Frames in the file: exact when the header says so, else estimated from the duration."""
        if self._frames_in_header > 0:
            return self._frames_in_header
        return max(1, round(self.duration * self.fps))

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.frames()

    def frames(self, max_frames: int | None = None) -> Iterator[np.ndarray]:
        """Yield uint8 RGB (H, W, 3) frames in order, at most `max_frames`."""
        container = _open_container(self.path)
        try:
            yield from self._decode(container, max_frames)
        finally:
            container.close()

    def _decode(self, container: av.container.InputContainer, max_frames: int | None) -> Iterator[np.ndarray]:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        count = 0
        if max_frames is not None and max_frames <= 0:
            return
        try:
            for frame in container.decode(stream):
                yield _upright(frame)
                count += 1
                if count == max_frames:
                    return
        except av.error.FFmpegError as exc:
            if count == 0:
                raise MediaError(words.undecodable(self.path, _reason(exc))) from exc
            log.warning("%s: stopped after %d frames: %s", self.path, count, _reason(exc))


def _upright(frame: av.VideoFrame) -> np.ndarray:
    """The frame as players show it: phone videos store pixels sideways plus a display rotation."""
    image = frame.to_ndarray(format="rgb24")
    quarter_turns = round(frame.rotation / 90) % 4  # counter-clockwise, as np.rot90 turns
    return np.ascontiguousarray(np.rot90(image, quarter_turns)) if quarter_turns else image


def read_video_frames(path: str | Path, max_frames: int | None = None) -> list[np.ndarray]:
    """All frames (or the first `max_frames`) of a video as uint8 RGB (H, W, 3) arrays."""
    return list(VideoReader(path).frames(max_frames))

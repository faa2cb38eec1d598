"""Writing H.264 mp4 files (PyAV, libx264, yuv420p), optionally with the driving video's audio.

Frames are encoded into a hidden temp file beside the target. `close()` then copies the video packets,
plus the audio of `mux_audio_from(...)` trimmed to the video's length, into the final file through
`engine.atomic`, so the output is complete or absent: a cancel, an error or a full disk never leaves
a half-written mp4 under the final name.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import os
import tempfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import cast

import av
import av.error
import numpy as np

from engine.atomic import atomic_open
from engine.errors import ImageInputError
from engine.imaging import to_rgb_uint8
from fomm_studio.media.errors import MediaError, check_input_file, describe_os_error

TimedPacket = tuple[float, av.Packet]


def as_frame_rate(fps: float | Fraction, path: str | Path) -> Fraction:
    """A frame rate as the exact Fraction an encoder wants (29.97 -> 30000/1001)."""
    if isinstance(fps, Fraction):
        rate = fps
    elif isinstance(fps, (int, float)) and math.isfinite(fps):
        rate = Fraction(fps).limit_denominator(10000)
        ntsc = round(fps * 1.001)
        if rate.denominator != 1 and abs(fps * 1.001 - ntsc) < 1e-3:
            rate = Fraction(ntsc * 1000, 1001)  # 29.97 is meant as 30000/1001
    else:
        raise MediaError(f"{path}: frame rate must be a finite number, got {fps!r}")
    if rate <= 0:
        raise MediaError(f"{path}: frame rate must be positive, got {fps!r}")
    return rate


def even_frame(frame: np.ndarray) -> np.ndarray:
    """Pad odd heights/widths by one edge pixel: yuv420p needs even dimensions."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


class VideoWriter:
    """Append RGB frames, then `close()` to commit `path` (or `abort()` to leave nothing).

    Use as a context manager: a clean exit commits, an exception aborts.
    """

    def __init__(self, path: str | Path, fps: float | Fraction, crf: int = 18, preset: str = "medium"):
        self.path = Path(path)
        self.fps_fraction = as_frame_rate(fps, self.path)
        self._options = {"crf": str(int(crf)), "preset": preset}
        self._audio_source: Path | None = None
        self._tmp: Path | None = None
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._size: tuple[int, int] | None = None  # (width, height) of the frames given
        self._count = 0
        self._finished = False

    @property
    def frames_written(self) -> int:
        return self._count

    @property
    def duration(self) -> float:
        """Seconds of video written so far."""
        return float(self._count / self.fps_fraction)

    def mux_audio_from(self, source_video: str | Path) -> None:
        """Keep the audio of `source_video` (copied if AAC, else re-encoded), trimmed to this video."""
        self._audio_source = check_input_file(source_video, "video")

    def write(self, frame: np.ndarray) -> None:
        """Append one frame: uint8 RGB (H, W, 3) (other dtypes/channels are converted)."""
        if self._finished:
            raise MediaError(f"{self.path}: writer already closed")
        rgb = self._checked_frame(frame)
        if self._container is None:
            self._start(rgb.shape[1], rgb.shape[0])
        assert self._stream is not None and self._container is not None  # set by _start
        video_frame = av.VideoFrame.from_ndarray(even_frame(rgb), format="rgb24")
        video_frame.pts = self._count
        video_frame.time_base = Fraction(1) / self.fps_fraction
        try:
            for packet in self._stream.encode(video_frame):
                self._container.mux(packet)
        except OSError as exc:
            self.abort()
            raise describe_os_error(self.path, exc, "writing the video") from exc
        except av.error.FFmpegError as exc:
            self.abort()
            raise MediaError(f"{self.path}: the encoder failed ({exc})") from exc
        self._count += 1

    def _checked_frame(self, frame: np.ndarray) -> np.ndarray:
        if not (
            isinstance(frame, np.ndarray)
            and frame.dtype == np.uint8
            and frame.ndim == 3
            and frame.shape[2] == 3
        ):
            try:
                frame = to_rgb_uint8(frame, name=f"{self.path} frame {self._count}")
            except ImageInputError as exc:
                raise MediaError(str(exc)) from exc
        size = (frame.shape[1], frame.shape[0])
        if self._size is not None and size != self._size:
            raise MediaError(
                f"{self.path}: frame {self._count} is {size[0]}x{size[1]}, "
                f"earlier frames were {self._size[0]}x{self._size[1]}"
            )
        self._size = size
        return np.ascontiguousarray(frame)

    def _start(self, width: int, height: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".video.mp4", dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(name)
        container = av.open(name, mode="w", format="mp4")
        stream = container.add_stream("libx264", rate=self.fps_fraction, options=self._options)
        stream.width, stream.height = width + width % 2, height + height % 2
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1) / self.fps_fraction
        self._container, self._stream = container, stream

    def close(self) -> Path:
        """Flush the encoder and commit the file (with audio, if asked). Returns the path."""
        if self._finished:
            return self.path
        if self._container is None or self._count == 0:
            self.abort()
            raise MediaError(f"{self.path}: no frames were written")
        try:
            self._flush_encoder()
            with atomic_open(self.path, "wb") as handle:
                self._remux(handle)
        except OSError as exc:
            raise describe_os_error(self.path, exc, "writing the video") from exc
        except av.error.FFmpegError as exc:
            raise MediaError(f"{self.path}: could not write the video ({exc})") from exc
        finally:
            self.abort()
        return self.path

    def _flush_encoder(self) -> None:
        assert self._stream is not None and self._container is not None
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def abort(self) -> None:
        """Stop writing and delete the temp file; the final path is left untouched."""
        self._finished = True
        if self._container is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                self._container.close()
            self._container = None
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()
            self._tmp = None

    def _remux(self, handle: object) -> None:
        """Copy the encoded video (and the audio, interleaved by time) into the open final file."""
        assert self._tmp is not None
        with av.open(handle, mode="w", format="mp4") as out, av.open(str(self._tmp)) as video_in:
            sources = [_copied_packets(video_in, video_in.streams.video[0], out, math.inf)]
            with contextlib.ExitStack() as stack:
                if self._audio_source is not None:
                    audio_in = stack.enter_context(_open_audio_source(self._audio_source))
                    if audio_in is not None:
                        sources.append(_audio_packets(audio_in, out, self.duration))
                for _, packet in heapq.merge(*sources, key=lambda item: item[0]):
                    out.mux(packet)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


@contextlib.contextmanager
def _open_audio_source(path: Path) -> Iterator[av.container.InputContainer | None]:
    """The container of `path` if it has an audio stream, else None."""
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot read its audio ({exc})") from exc
    try:
        yield container if container.streams.audio else None
    finally:
        container.close()


def _packet_time(packet: av.Packet) -> float:
    stamp = packet.dts if packet.dts is not None else packet.pts
    return float(stamp * packet.time_base) if stamp is not None and packet.time_base else 0.0


def _copied_packets(
    container: av.container.InputContainer,
    stream: av.stream.Stream,
    out: av.container.OutputContainer,
    limit: float,
) -> Iterator[TimedPacket]:
    """Stream-copy `stream` into a new stream of `out`, stopping at `limit` seconds.

    The output stream is added now, not lazily, so every stream exists before the first mux.
    """
    out_stream = out.add_stream_from_template(stream)

    def packets() -> Iterator[TimedPacket]:
        for packet in container.demux(stream):
            if packet.dts is None:
                continue  # demuxer's end-of-stream marker
            time = _packet_time(packet)
            if time >= limit:
                break
            packet.stream = out_stream
            yield time, packet

    return packets()


def _audio_packets(
    container: av.container.InputContainer, out: av.container.OutputContainer, limit: float
) -> Iterator[TimedPacket]:
    """The first audio stream, copied when it is AAC, else re-encoded to AAC; trimmed to `limit` s."""
    stream = container.streams.audio[0]
    if stream.codec_context.name == "aac":
        return _copied_packets(container, stream, out, limit)
    return _reencoded_audio(container, stream, out, limit)


def _reencoded_audio(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    out: av.container.OutputContainer,
    limit: float,
) -> Iterator[TimedPacket]:
    # AAC gets mono or stereo: a source layout like "1 channels" (order unspecified) is rejected.
    layout = "mono" if stream.layout is not None and stream.layout.nb_channels == 1 else "stereo"
    added = out.add_stream("aac", rate=stream.rate or 48000, layout=layout)
    out_stream = cast(av.audio.stream.AudioStream, added)

    def packets() -> Iterator[TimedPacket]:
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= limit:
                break
            frame.pts = None  # let the encoder number samples from zero
            for packet in out_stream.encode(frame):
                yield _packet_time(packet), packet
        for packet in out_stream.encode(None):
            yield _packet_time(packet), packet

    return packets()

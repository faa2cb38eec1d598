"""Small media files generated inside tests (no binary fixtures in the repo)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def moving_bar_frames(count: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """Frames with a white bar sliding right and a green level rising: every frame differs."""
    frames = []
    for i in range(count):
        image = np.zeros((height, width, 3), np.uint8)
        image[:, (i * 3) % width] = 255
        image[..., 1] = (i * 10) % 256
        frames.append(image)
    return frames


def make_video(
    path: Path,
    frames: int = 12,
    fps: int = 10,
    audio: str | None = "aac",
    width: int = 64,
    height: int = 48,
    audio_seconds: float | None = None,
) -> Path:
    """Write an H.264 video, with a 440 Hz sine in `audio` codec ("aac", "pcm_s16le") or none."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio_stream = container.add_stream(audio, rate=16000, layout="mono") if audio else None
        for i, image in enumerate(moving_bar_frames(frames, width, height)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio_stream is not None:
            seconds = audio_seconds if audio_seconds is not None else 1.5 * frames / fps
            _write_sine(container, audio_stream, seconds)
    return path


def _write_sine(
    container: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float
) -> None:
    rate, total = 16000, int(16000 * seconds)
    samples = 0.3 * np.sin(2 * np.pi * 440 * np.arange(total) / rate)
    sample_format = stream.codec_context.format.name
    for start in range(0, total, 1024):
        chunk = samples[start : start + 1024]
        data = (chunk * 32767).astype(np.int16) if sample_format == "s16" else chunk.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(data[None], format=sample_format, layout="mono")
        frame.sample_rate, frame.pts = rate, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))

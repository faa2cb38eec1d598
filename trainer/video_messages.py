"""One wording per video problem, for every reader of video files (the training data cache here, the
app's `fomm_studio.media.VideoReader`), so the same broken file reads the same in the Train report, the
Animate tab and the CLI, with no Python internals ("tuple index out of range") in it."""

from __future__ import annotations

from pathlib import Path

# FFmpeg decodes any file as ANSI/text "video" when nothing else fits: such a file is never a video.
TEXT_ART_CODECS = frozenset({"ansi", "bintext", "xbin", "idf"})


def ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's own short reason (its strerror), else the first line of the message."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return reason.splitlines()[0] if reason else type(exc).__name__


def unreadable(path: Path, reason: str) -> str:
    """FFmpeg cannot open the file at all."""
    return f"{path}: not a video file FFmpeg can read ({reason})"


def no_video_stream(path: Path) -> str:
    """A media file without pictures (e.g. audio only)."""
    return f"{path}: has no video stream"


def not_a_video(path: Path) -> str:
    """FFmpeg's text-art fallback: the file is text or binary data."""
    return f"{path}: is a text or binary file, not a video"


def undecodable(path: Path, reason: str) -> str:
    """Opened, but a frame fails to decode."""
    return f"{path}: video cannot be decoded ({reason})"


def no_frames(path: Path) -> str:
    """Opened, but not one frame came out."""
    return f"{path}: no video frame could be decoded (corrupt or truncated file)"


def empty(path: Path) -> str:
    """Zero bytes."""
    return f"{path}: video file is empty"

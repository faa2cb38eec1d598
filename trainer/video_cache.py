"""Training videos: discovery, a decode-once frame cache, and the report of what was found.

A dataset folder has `train/` and `test/` subfolders, or is flat (then split reproducibly by a hash
of each name, about 10% test). A video is a file (.mp4 .avi .mov .mkv .webm .gif) or a folder of
frames (.png/.jpg, sorted by name). Each video is decoded once, resized to the config's
`frame_shape`, and stored as a uint8 `.npy` (T, H, W, 3) in a cache keyed by path, mtime, size and
frame shape; samples read it through a memory map. Unreadable videos are listed and skipped.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.atomic import atomic_open
from engine.errors import FommError
from trainer import video_messages as words

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")
DEFAULT_CACHE_DIR = Path(os.environ.get("FOMM_CACHE_DIR", Path.home() / ".cache" / "fomm_studio" / "frames"))


class DatasetError(FommError):
    """A dataset folder that holds no usable video (or does not exist)."""


class ScanCancelledError(FommError):
    """A dataset scan stopped by its cancel event (another folder was picked, the window closed)."""


@dataclass(frozen=True)
class VideoEntry:
    """One usable video: where it came from and its decoded frame cache (T, H, W, 3) uint8."""

    name: str
    source: Path
    cache: Path
    num_frames: int
    source_size: tuple[int, int]  # (width, height) before resizing
    fps: float | None


@dataclass
class DatasetReport:
    """What discovery found: usable videos per split and the files that could not be read."""

    root: Path
    train: list[VideoEntry] = field(default_factory=list)
    test: list[VideoEntry] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        """Human-readable multi-line report: counts, durations, resolutions, skipped files."""
        lines = [f"dataset {self.root}: {len(self.train)} train, {len(self.test)} test videos"]
        for split, entries in (("train", self.train), ("test", self.test)):
            if entries:
                frames = [e.num_frames for e in entries]
                sizes = sorted({f"{w}x{h}" for w, h in (e.source_size for e in entries)})
                seconds = sum(e.num_frames / e.fps for e in entries if e.fps)
                lines.append(
                    f"  {split}: {sum(frames)} frames (min {min(frames)}, max {max(frames)} per video), "
                    f"~{seconds:.1f} s of timed video, resolutions {', '.join(sizes[:6])}"
                )
        for path, reason in self.unreadable:
            lines.append(f"  skipped unreadable {path}: {reason}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for events.jsonl."""
        return {
            "root": str(self.root),
            "train": len(self.train),
            "test": len(self.test),
            "train_frames": sum(e.num_frames for e in self.train),
            "unreadable": [{"path": str(p), "reason": r} for p, r in self.unreadable],
        }


def is_video(path: Path) -> bool:
    """A video file by suffix, or a folder that directly holds frame images."""
    if path.is_file():
        return path.suffix.lower() in VIDEO_SUFFIXES
    if path.is_dir():
        return any(p.suffix.lower() in FRAME_SUFFIXES for p in path.iterdir() if p.is_file())
    return False


def discover_videos(root: Path) -> tuple[list[Path], list[Path]]:
    """(train, test) video paths. Flat folders are split by a stable hash of the name."""
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset folder not found")
    if (root / "train").is_dir():
        train = sorted(p for p in (root / "train").iterdir() if is_video(p))
        test = sorted(p for p in (root / "test").iterdir() if is_video(p)) if (root / "test").is_dir() else []
        return train, test
    videos = sorted(p for p in root.iterdir() if is_video(p) and not p.name.startswith("."))
    return split_flat(videos)


def split_flat(videos: list[Path]) -> tuple[list[Path], list[Path]]:
    """~10% test by name hash; at least one test video when there are two or more."""

    def bucket(p: Path) -> int:
        return int(hashlib.sha1(p.name.encode("utf-8")).hexdigest()[:8], 16) % 10

    test = [p for p in videos if bucket(p) == 0]
    if not test and len(videos) >= 2:
        test = [min(videos, key=lambda p: hashlib.sha1(p.name.encode("utf-8")).hexdigest())]
    if len(test) == len(videos) and len(videos) >= 2:
        test = test[:1]
    train = [p for p in videos if p not in test]
    return train, test


def cache_key(path: Path, frame_shape: tuple[int, ...]) -> str:
    """Stable key from the absolute path, modification time, size and target frame shape."""
    parts = [str(path.resolve()), repr(tuple(frame_shape))]
    members = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for member in members:
        stat = member.stat()
        parts.append(f"{member.name}:{stat.st_mtime_ns}:{stat.st_size}")
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def resize_frame(frame: np.ndarray, frame_shape: tuple[int, ...]) -> np.ndarray:
    """Centre-crop to the target aspect ratio, then resize. Shapes: (h, w, 3) -> (H, W, 3) uint8."""
    target_h, target_w = int(frame_shape[0]), int(frame_shape[1])
    h, w = frame.shape[:2]
    if h * target_w > w * target_h:  # too tall
        new_h = max(1, round(w * target_h / target_w))
        top = (h - new_h) // 2
        frame = frame[top : top + new_h]
    elif h * target_w < w * target_h:  # too wide
        new_w = max(1, round(h * target_w / target_h))
        left = (w - new_w) // 2
        frame = frame[:, left : left + new_w]
    if frame.shape[:2] != (target_h, target_w):
        shrinking = frame.shape[0] > target_h
        frame = cv2.resize(
            frame, (target_w, target_h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        )
    return np.ascontiguousarray(frame)


def _read_frame_folder(path: Path) -> tuple[list[np.ndarray], float | None]:
    frames = []
    for member in sorted(p for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES):
        image = cv2.imread(str(member), cv2.IMREAD_COLOR)
        if image is None:
            raise FommError(f"{member}: not a readable image")
        frames.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    return frames, None


def _read_video_file(path: Path) -> tuple[list[np.ndarray], float | None]:
    import av  # imported here: only decoding needs it

    if path.stat().st_size == 0:
        raise FommError(words.empty(path))
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise FommError(words.unreadable(path, words.ffmpeg_reason(exc))) from None
    with container:
        if not container.streams.video:
            raise FommError(words.no_video_stream(path))
        stream = container.streams.video[0]
        if stream.codec_context.name in words.TEXT_ART_CODECS:
            raise FommError(words.not_a_video(path))
        fps = float(stream.average_rate) if stream.average_rate else None
        try:
            frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        except (av.FFmpegError, ValueError) as exc:
            raise FommError(words.undecodable(path, words.ffmpeg_reason(exc))) from None
    if not frames:
        raise FommError(words.no_frames(path))
    return frames, fps


def decode_video(path: Path) -> tuple[list[np.ndarray], float | None]:
    """All frames of a video file or frame folder as RGB uint8, plus fps when known."""
    frames, fps = _read_frame_folder(path) if path.is_dir() else _read_video_file(path)
    if not frames:
        raise FommError(f"{path}: no frames")
    return frames, fps


def cache_video(path: Path, frame_shape: tuple[int, ...], cache_dir: Path) -> VideoEntry:
    """Decode once into `cache_dir` (reused while the file is unchanged) and describe the result."""
    key = cache_key(path, frame_shape)
    cache = cache_dir / f"{key}.npy"
    meta = cache_dir / f"{key}.txt"
    if cache.is_file() and meta.is_file():
        width, height, fps_text = meta.read_text(encoding="utf-8").split()
        frames = np.load(cache, mmap_mode="r")
        fps = float(fps_text) if fps_text != "none" else None
        return VideoEntry(path.name, path, cache, int(frames.shape[0]), (int(width), int(height)), fps)
    decoded, fps = decode_video(path)
    height, width = decoded[0].shape[:2]
    stack = np.stack([resize_frame(f, frame_shape) for f in decoded])  # (T, H, W, 3)
    with atomic_open(cache, "wb") as handle:
        np.save(handle, stack)
    with atomic_open(meta, "w") as handle:
        handle.write(f"{width} {height} {fps if fps else 'none'}\n")
    return VideoEntry(path.name, path, cache, int(stack.shape[0]), (width, height), fps)


def scan_videos(
    root: str | Path,
    frame_shape: tuple[int, ...],
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> DatasetReport:
    """Discover and decode (once, cached) every video of `root`, one at a time. Unreadable videos are
    listed in the report, never fatal, so the report may hold no usable video at all.

    `progress(done, total)` is called before each video and once at the end; a set `cancel` event
    stops the scan between two videos with ScanCancelledError.
    """
    root = Path(root)
    cache_dir = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
    train_paths, test_paths = discover_videos(root)
    todo = [("train", p) for p in train_paths] + [("test", p) for p in test_paths]
    report = DatasetReport(root)
    for done, (split, path) in enumerate(todo):
        if cancel is not None and cancel.is_set():
            raise ScanCancelledError(f"{root}: scan cancelled")
        if progress is not None:
            progress(done, len(todo))
        try:
            getattr(report, split).append(cache_video(path, frame_shape, cache_dir))
        except (FommError, OSError, ValueError) as exc:
            report.unreadable.append((path, str(exc)))
    if progress is not None:
        progress(len(todo), len(todo))
    return report


def scan_dataset(
    root: str | Path,
    frame_shape: tuple[int, ...],
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> DatasetReport:
    """Discover, decode (once, cached) and report, for training. Unreadable videos are skipped, never
    fatal; a dataset without a single usable training video is an error."""
    report = scan_videos(root, frame_shape, cache_dir, _progress_bar() if progress else None)
    if not report.train:
        first = f": {report.unreadable[0][1]}" if report.unreadable else ""  # names the file and why
        raise DatasetError(
            f"{report.root}: no usable training video (looked for {', '.join(VIDEO_SUFFIXES)} files and "
            f"frame folders; {len(report.unreadable)} unreadable{first})"
        )
    return report


def _progress_bar() -> Callable[[int, int], None]:
    """A `scan_videos` progress callback drawing a tqdm bar on stderr when there are two videos or more."""
    bars: list[Any] = []

    def show(done: int, total: int) -> None:
        if total < 2:
            return
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(total=total, desc="caching videos", leave=False))
        bars[0].update(done - bars[0].n)
        if done == total:
            bars[0].close()

    return show

"""Which (source, driving) pairs a student learns from, as the live app makes them: the source an
avatar (or, without avatars, a random frame of another video), the driving frame a frame of the data, its
motion taken relative to the first frame of its video (the calibration frame)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.video_cache import VideoEntry


@dataclass(frozen=True)
class PairPlan:
    """N pairs over S sources and V driving videos.

    Shapes: sources (S, H, W, 3) uint8; initial (V, H, W, 3) uint8 (frame 0 of each video);
    item_source, item_video, item_frame (N,) int64."""

    sources: np.ndarray
    initial: np.ndarray
    item_source: np.ndarray
    item_video: np.ndarray
    item_frame: np.ndarray

    def __len__(self) -> int:
        return len(self.item_frame)


def spread(total: int, count: int) -> np.ndarray:
    """Up to `count` distinct indices in [0, total) spread evenly, first and last included."""
    return np.unique(np.linspace(0, total - 1, min(count, total)).round().astype(int))


def plan_pairs(videos: list[VideoEntry], avatars: np.ndarray | None, max_pairs: int, seed: int) -> PairPlan:
    """Every driving frame of `videos` (evenly thinned to `max_pairs`), each with a source drawn by `seed`."""
    frames = [np.load(v.cache, mmap_mode="r") for v in videos]
    all_items = [(v, t) for v, clip in enumerate(frames) for t in range(clip.shape[0])]
    keep = spread(len(all_items), max_pairs)
    item_video = np.array([all_items[i][0] for i in keep], dtype=np.int64)
    item_frame = np.array([all_items[i][1] for i in keep], dtype=np.int64)
    rng = np.random.default_rng([seed, 15])
    if avatars is not None:
        sources = avatars
        item_source = rng.integers(len(avatars), size=len(keep))
    else:
        sources, item_source = _frames_of_other_videos(frames, item_video, rng)
    initial = np.stack([np.asarray(clip[0]) for clip in frames])
    return PairPlan(np.asarray(sources), initial, item_source.astype(np.int64), item_video, item_frame)


def _other_video(item_video: np.ndarray, num_videos: int, rng: np.random.Generator) -> np.ndarray:
    """A random video other than each item's own (its own when there is only one): another identity."""
    if num_videos == 1:
        return np.zeros_like(item_video)
    shift = rng.integers(1, num_videos, size=len(item_video))
    return (item_video + shift) % num_videos


def _frames_of_other_videos(
    frames: list[np.ndarray], item_video: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A random frame of another video per item: (distinct sources (S, H, W, 3), item_source (N,))."""
    other = _other_video(item_video, len(frames), rng)
    chosen = [(int(v), int(rng.integers(frames[v].shape[0]))) for v in other]
    keys = sorted(set(chosen))
    index = {key: i for i, key in enumerate(keys)}
    sources = np.stack([np.asarray(frames[v][t]) for v, t in keys])
    return sources, np.array([index[key] for key in chosen], dtype=np.int64)


def driving_frames(videos: list[VideoEntry], plan: PairPlan, items: np.ndarray) -> np.ndarray:
    """The driving frames of some items. Shapes: items (n,) -> (n, H, W, 3) uint8."""
    clips: dict[int, np.ndarray] = {}
    out = []
    for item in items:
        v = int(plan.item_video[item])
        if v not in clips:
            clips[v] = np.load(videos[v].cache, mmap_mode="r")
        out.append(np.asarray(clips[v][int(plan.item_frame[item])]))
    return np.stack(out)

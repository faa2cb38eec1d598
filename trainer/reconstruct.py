"""Reconstruction evaluation (Sec. 4.1): animate each test video's first frame by the video itself.

source = frame 0; for every frame t the generator predicts frame t from the source with the
absolute keypoints of frame t. Reported per video and overall: L1 = mean |prediction - frame| on
[0, 1] pixels, next to the copy-the-first-frame baseline mean |frame 0 - frame t|.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.backends.base import BoundSource, FrameBackend
from engine.generator import SourceCache
from engine.models import FommModels
from trainer.video_cache import DatasetReport, VideoEntry, cache_video, is_video, scan_dataset


@dataclass
class VideoReconstruction:
    """One reconstructed video. Shapes: frames and predictions (T, H, W, 3) uint8."""

    name: str
    source: Path
    fps: float | None
    l1: float
    baseline_l1: float
    frames: np.ndarray
    predictions: np.ndarray


def evaluation_videos(
    data: Path, frame_shape: tuple[int, ...], cache_dir: Path | None
) -> tuple[list[VideoEntry], DatasetReport | None]:
    """A single video (file or frame folder), or the test split of a dataset (train split if it has none)."""
    if data.is_file() or (data.is_dir() and is_video(data) and not (data / "train").is_dir()):
        from trainer.video_cache import DEFAULT_CACHE_DIR

        return [cache_video(data, frame_shape, cache_dir or DEFAULT_CACHE_DIR)], None
    report = scan_dataset(data, frame_shape, cache_dir)
    return (report.test or report.train), report


def to_tensor(frames: np.ndarray, device: torch.device) -> torch.Tensor:
    """Shapes: (T, H, W, 3) uint8 -> (T, 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0


Predictor = Callable[
    [torch.Tensor], torch.Tensor
]  # driving (N, 3, H, W) -> prediction (N, 3, H, W) in [0, 1]


@torch.no_grad()
def reconstruct_frames(
    models: FommModels, frames: np.ndarray, batch_size: int = 8, backend: FrameBackend | None = None
) -> tuple[np.ndarray, float, float]:
    """Predict every frame from frame 0. Returns (predictions uint8 (T, H, W, 3), L1, baseline L1).

    `backend` (see `engine.backends`; one frame at a time) replaces the batched torch networks."""
    source = to_tensor(frames[:1], models.device)
    if backend is None:
        predict = _torch_predictor(models, source)
    else:
        predict, batch_size = _backend_predictor(models, source, backend), 1
    predictions, l1_sum, base_sum = [], 0.0, 0.0
    for start in range(0, len(frames), batch_size):
        driving = to_tensor(frames[start : start + batch_size], models.device)
        prediction = predict(driving).clamp(0, 1)
        l1_sum += float((prediction - driving).abs().mean(dim=(1, 2, 3)).sum())
        base_sum += float((source - driving).abs().mean(dim=(1, 2, 3)).sum())
        predictions.append((prediction * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy())
    return np.concatenate(predictions), l1_sum / len(frames), base_sum / len(frames)


def _torch_predictor(models: FommModels, source: torch.Tensor) -> Predictor:
    """Batched absolute-motion reconstruction by the torch networks, the source encoded once."""
    kp_source = models.kp_detector(source)
    source_features = models.generator.encode_source(source)

    def predict(driving: torch.Tensor) -> torch.Tensor:
        n = driving.shape[0]
        out = models.generator(
            source.expand(n, -1, -1, -1),
            kp_driving=models.kp_detector(driving),
            kp_source={k: v.expand(n, *v.shape[1:]) for k, v in kp_source.items()},
            cache=SourceCache(features=source_features.expand(n, -1, -1, -1)),
        )
        return out["prediction"]

    return predict


def _backend_predictor(models: FommModels, source: torch.Tensor, backend: FrameBackend) -> Predictor:
    """The same on a backend, one frame at a time; the source is bound from the torch networks."""
    dense = models.generator.dense_motion_network
    cache = SourceCache(
        models.generator.encode_source(source), dense.downsample(source) if dense is not None else None
    )
    backend.bind_source(BoundSource(source, models.kp_detector(source), cache))
    return lambda driving: backend.generate(backend.keypoints(driving))


def reconstruct_videos(
    models: FommModels,
    videos: list[VideoEntry],
    max_videos: int | None = None,
    backend: FrameBackend | None = None,
) -> Iterator[VideoReconstruction]:
    """Reconstruct videos one at a time (so a caller can write or score each, then drop it)."""
    models.eval()
    for entry in videos[:max_videos] if max_videos else videos:
        frames = np.load(entry.cache)  # (T, H, W, 3) uint8, read whole
        predictions, l1, baseline = reconstruct_frames(models, frames, backend=backend)
        yield VideoReconstruction(entry.name, entry.source, entry.fps, l1, baseline, frames, predictions)


def summary(results: list[dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    """JSON summary: per-video rows plus means of every numeric metric."""
    means: dict[str, float] = {}
    for key in ("l1", "baseline_l1", "akd"):
        values = [r[key] for r in results if isinstance(r.get(key), (int, float))]
        if values:
            means[key] = float(np.mean(values))
    return {"num_videos": len(results), "mean": means, "videos": results, "notes": notes}

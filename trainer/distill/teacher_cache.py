"""The teacher's outputs on every training pair, computed once into the run folder.

A CPU distillation cannot afford the 60M-parameter teacher at every step, and its outputs do not
change: they are computed once, stored as .npy arrays in R/teacher_cache/ with a manifest (the key and
each file's SHA-256, written last), and memory-mapped by the training pairs. The key covers the teacher
weights' digest, both configs' relevant parts, the data, the avatars, the pair count and the seed: a
rerun or --resume reuses a cache with the same key; a stale key, a missing file or a checksum that
no longer matches rebuilds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

from engine.atomic import atomic_write_text, atomic_write_with
from engine.models import FommModels
from engine.motion import MotionOptions, transfer_keypoints
from trainer.distill.pairs import PairPlan, driving_frames, plan_pairs
from trainer.video_cache import VideoEntry

CACHE_DIR = "teacher_cache"
MANIFEST = "manifest.json"
CACHE_VERSION = 2
LIVE_MOTION = MotionOptions(relative=True, adapt_movement_scale=False, relative_jacobian=True)
CHUNK = 8  # teacher frames per forward pass while filling the cache


@dataclass(frozen=True)
class CacheRequest:
    """What the cached outputs depend on."""

    teacher: FommModels
    teacher_digest: str
    videos: list[VideoEntry]
    avatars: np.ndarray | None
    avatar_names: list[str]
    max_pairs: int
    seed: int

    def key(self) -> str:
        parts = {
            "version": CACHE_VERSION,
            "teacher": self.teacher_digest,
            "teacher_model": repr(self.teacher.config.model_params),
            "frame_size": self.teacher.config.frame_size,
            "videos": [(v.name, v.cache.name, v.num_frames) for v in self.videos],
            "avatars": self.avatar_names,
            "avatar_pixels": hashlib.sha256(self.avatars.tobytes()).hexdigest()
            if self.avatars is not None
            else None,
            "max_pairs": self.max_pairs,
            "seed": self.seed,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def teacher_targets(run_dir: Path, request: CacheRequest) -> tuple[dict[str, np.ndarray], str]:
    """The cached arrays (memory-mapped) and how they were got: 'reused', or 'built' with the reason."""
    folder = run_dir / CACHE_DIR
    key = request.key()
    arrays, problem = load_cache(folder, key)
    if arrays is not None:
        return arrays, "reused"
    if folder.exists():
        shutil.rmtree(folder)
    store_cache(folder, key, compute_targets(request))
    arrays, again = load_cache(folder, key)
    if arrays is None:
        raise OSError(f"{folder}: the teacher cache just written cannot be read back ({again})")
    return arrays, f"built ({problem})"


def load_cache(folder: Path, key: str) -> tuple[dict[str, np.ndarray] | None, str]:
    """(arrays, '') when the folder holds a complete cache for `key`, else (None, why not)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "no cache yet"
    except (OSError, ValueError) as exc:
        return None, f"unreadable manifest: {exc}"
    if not isinstance(manifest, dict) or manifest.get("key") != key:
        return None, "stale: teacher, data or sizes changed"
    arrays = {}
    for name, digest in dict(manifest.get("files", {})).items():
        path = folder / f"{name}.npy"
        if not path.is_file() or file_digest(path) != digest:
            return None, f"corrupt: {path.name} does not match its checksum"
        try:
            arrays[name] = np.load(path, mmap_mode="r")
        except ValueError as exc:
            return None, f"corrupt: {path.name}: {exc}"
    return arrays, ""


def store_cache(folder: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Each array atomically, then the manifest naming them with their checksums (a cache is valid
    only once its manifest exists)."""
    files = {}
    for name, array in arrays.items():
        path = folder / f"{name}.npy"
        atomic_write_with(path, functools.partial(_save_npy, array=array))
        files[name] = file_digest(path)
    atomic_write_text(folder / MANIFEST, json.dumps({"key": key, "files": files}, indent=1))


def _save_npy(handle: IO, array: np.ndarray) -> None:
    np.save(handle, array)


def frames_to_tensor(frames: np.ndarray, device: torch.device | str) -> torch.Tensor:
    """Shapes: (N, H, W, 3) uint8 -> (N, 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.array(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0


def _kp_numpy(kp: dict[str, torch.Tensor], prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}_{name}": t.float().cpu().numpy() for name, t in kp.items()}


@torch.no_grad()
def compute_targets(request: CacheRequest) -> dict[str, np.ndarray]:
    """Run the teacher once on every pair of the plan. Arrays (N items, S sources, V videos):
    sources (S, H, W, 3), initial (V, H, W, 3), item_source/item_video/item_frame (N,), driving
    (N, H, W, 3) uint8, prediction (N, H, W, 3) uint8, deformation (N, h, w, 2) float16,
    occlusion (N, 1, h', w') float16 when the teacher has one, kp_source_* (S, K, ...),
    kp_driving_* and kp_norm_* (N, K, ...) float32 (value (K, 2), jacobian (K, 2, 2))."""
    teacher, device = request.teacher.eval(), request.teacher.device
    plan = plan_pairs(request.videos, request.avatars, request.max_pairs, request.seed)
    sources = frames_to_tensor(plan.sources, device)
    kp_sources = teacher.kp_detector(sources)
    kp_initial = teacher.kp_detector(frames_to_tensor(plan.initial, device))
    chunks: list[dict[str, np.ndarray]] = []
    for start in range(0, len(plan), CHUNK):
        items = np.arange(start, min(start + CHUNK, len(plan)))
        chunks.append(_teacher_chunk(request, plan, items, (sources, kp_sources, kp_initial)))
    arrays = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    arrays.update(
        sources=plan.sources,
        initial=plan.initial,
        item_source=plan.item_source,
        item_video=plan.item_video,
        item_frame=plan.item_frame,
        **_kp_numpy(kp_sources, "kp_source"),
    )
    return arrays


def _teacher_chunk(
    request: CacheRequest, plan: PairPlan, items: np.ndarray, shared: tuple[Any, Any, Any]
) -> dict[str, np.ndarray]:
    """The teacher on some items, live setting: relative keypoints against the video's first frame."""
    sources, kp_sources, kp_initial = shared
    teacher, device = request.teacher, request.teacher.device
    driving = driving_frames(request.videos, plan, items)
    src = torch.from_numpy(plan.item_source[items]).to(device)
    vid = torch.from_numpy(plan.item_video[items]).to(device)
    kp_source = {k: v[src] for k, v in kp_sources.items()}
    kp_driving = teacher.kp_detector(frames_to_tensor(driving, device))
    kp_norm = transfer_keypoints(
        kp_source, kp_driving, {k: v[vid] for k, v in kp_initial.items()}, LIVE_MOTION
    )
    out = teacher.generator(sources[src], kp_driving=kp_norm, kp_source=kp_source, with_deformed=False)
    arrays = {
        "driving": driving,
        "prediction": (out["prediction"].clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy(),
        **_kp_numpy(kp_driving, "kp_driving"),
        **_kp_numpy(kp_norm, "kp_norm"),
    }
    if "deformation" in out:
        arrays["deformation"] = out["deformation"].float().cpu().numpy().astype(np.float16)
    if "occlusion_map" in out:
        arrays["occlusion"] = out["occlusion_map"].float().cpu().numpy().astype(np.float16)
    return arrays

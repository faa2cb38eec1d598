"""Timing one live frame of several model variants in the same run, with their fidelity.

A live frame is what the webcam loop pays per camera frame: `AnimationSession.animate(frame,
with_extras=False)` with the source's keypoints and features cached, i.e. keypoint detector on the
driving frame, dense motion and generator decoder, under `torch.inference_mode`. Models have random
weights unless a variant names a checkpoint (speed does not depend on them, fidelity does: a random
generator's output is nearly flat, so its PSNR says little) and the driving frames come from the
synthetic generator.

A variant is one config run one way (device, precision, compiled or not, inference backend). Variants
take turns frame by frame, so a neighbour's load on a shared CPU hits all of them alike and their
ratios stay meaningful; medians resist the odd slow frame. A fast variant's fidelity is measured
against its config's plain float32 variant on the same frames: maximum absolute pixel difference and
PSNR of the prediction. An exported backend is built (or loaded from its cache) before the timing and
is timed whatever its fidelity: choosing is `prepare_backend`'s job, measuring is this module's.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from engine import AnimationSession, FommModels, MotionOptions, build_models, load_config, load_models
from engine.backends.base import BackendUnavailableError
from engine.backends.choice import build_backend, psnr
from engine.errors import FommError
from engine.session import Precision
from fomm_studio.paths import CONFIGS_DIR
from trainer.synthetic import render_video

# Short names for the packaged configs; anything else is taken as a path.
NAMED_CONFIGS = {
    "lite": "lite-256.yaml",
    "lite-256": "lite-256.yaml",
    "vox": "vox-256.yaml",
    "vox-256": "vox-256.yaml",
}


def resolve_config(name_or_path: str) -> Path:
    """'lite', 'vox-256' (packaged) or a path to any original-format YAML config."""
    if name_or_path in NAMED_CONFIGS:
        return CONFIGS_DIR / NAMED_CONFIGS[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise FommError(f"{path}: config not found (or use one of: {', '.join(sorted(NAMED_CONFIGS))})")
    return path


@dataclass(frozen=True)
class Variant:
    """One way of running one config. `reference` names the variant its fidelity is measured against."""

    name: str
    config_path: Path
    device: str = "cpu"
    precision: Precision = "fp32"
    compiled: bool = False
    channels_last: bool = False
    reference: str | None = None
    backend: str = "torch"
    checkpoint: Path | None = None  # trained weights (else random ones)

    @property
    def mode(self) -> str:
        parts = [self.precision] + (["compiled"] if self.compiled else [])
        parts += ["channels_last"] if self.channels_last else []
        return " ".join(parts + ([self.backend] if self.backend != "torch" else []))


@dataclass(frozen=True)
class LiveTiming:
    """Median milliseconds of one live frame and of its two stages, over `frames` timed frames, and
    the fidelity to the reference variant (None for a reference itself)."""

    name: str
    params_millions: float
    frame_ms: float
    keypoints_ms: float
    generator_ms: float
    frames: int
    max_abs_diff: int | None = None
    psnr: float | None = None
    unavailable: str | None = None  # why the variant could not run (then every figure is NaN)

    @property
    def fps(self) -> float:
        return 1000.0 / self.frame_ms

    @classmethod
    def not_run(cls, name: str, reason: str) -> LiveTiming:
        return cls(name, math.nan, math.nan, math.nan, math.nan, 0, unavailable=reason)


def build_bench_models(
    config_path: Path, channels_last: bool, device: str = "cpu", seed: int = 0, checkpoint: Path | None = None
) -> FommModels:
    """Kp detector and generator of a config in eval mode: random weights (the same per seed), or the
    checkpoint's."""
    torch.manual_seed(seed)
    if checkpoint is not None:
        models = load_models(config_path, checkpoint, device=device)
    else:
        models = build_models(load_config(config_path), device=device).eval()
    return models.to_channels_last() if channels_last else models


def driving_clip(size: int, frames: int, seed: int = 0) -> np.ndarray:
    """Synthetic talking-head frames to drive with (a source plus `frames` driving frames). Shapes: (T, S, S, 3)."""
    return render_video((seed, 9, 0), frames + 1, size).frames


@dataclass
class _Runner:
    """One variant under test: its session, per-frame milliseconds and the frames it produced."""

    variant: Variant
    models: FommModels
    session: AnimationSession
    totals: list[float] = field(default_factory=list)
    keypoints: list[float] = field(default_factory=list)
    generator: list[float] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)

    def step(self, frame: np.ndarray, record: bool) -> None:
        start = time.perf_counter()
        result = self.session.animate(frame, with_extras=False)
        elapsed = (time.perf_counter() - start) * 1000.0
        if record:
            self.totals.append(elapsed)
            self.keypoints.append(result.timings["keypoints"])
            self.generator.append(result.timings["generator"])
            self.images.append(result.image)

    def timing(self, reference: _Runner | None) -> LiveTiming:
        nets = (self.models.kp_detector, self.models.generator)
        params = sum(p.numel() for net in nets for p in net.parameters())
        diff, psnr = fidelity(self.images, reference.images) if reference is not None else (None, None)
        return LiveTiming(
            self.variant.name,
            params / 1e6,
            statistics.median(self.totals),
            statistics.median(self.keypoints),
            statistics.median(self.generator),
            len(self.totals),
            diff,
            psnr,
        )


def fidelity(images: list[np.ndarray], reference: list[np.ndarray]) -> tuple[int, float]:
    """(max absolute difference, PSNR in dB over all frames) of uint8 images against the reference's."""
    return psnr(images, reference)


ModelKey = tuple[Path, str, bool, Path | None]


def _runner(variant: Variant, source: np.ndarray, shared: dict[ModelKey, FommModels]) -> _Runner:
    key = (variant.config_path, variant.device, variant.channels_last, variant.checkpoint)
    if key not in shared:  # one set of weights per config and layout: fidelity compares like with like
        shared[key] = build_bench_models(
            variant.config_path, variant.channels_last, variant.device, checkpoint=variant.checkpoint
        )
    models = shared[key]
    session = AnimationSession(models, MotionOptions(), precision=variant.precision)
    if variant.compiled:
        session.compile()
    if variant.backend != "torch":
        backend, how = build_backend(models, variant.backend)  # BackendUnavailableError: not run
        print(f"{variant.name}: backend {how}", flush=True)
        session.set_backend(backend)
    session.set_source(source)
    return _Runner(variant, models, session)


def measure_variants(
    variants: list[Variant], frames: int = 20, warmup: int = 3, source: np.ndarray | None = None
) -> list[LiveTiming]:
    """Time `frames` live frames of each variant after `warmup` untimed ones, in turns. A variant whose
    backend cannot run here gets a `LiveTiming.not_run` saying why. `source`: the picture animated (an
    RGB uint8 image, resized to each config's frame size; default the synthetic clip's first frame),
    since a backend's fidelity depends on what it animates."""
    sizes = {load_config(v.config_path).frame_size for v in variants}
    clips = {size: driving_clip(size, frames + warmup) for size in sizes}
    if source is not None:
        for size, clip in clips.items():
            clip[0] = cv2.resize(source, (size, size), interpolation=cv2.INTER_AREA)
    shared: dict[ModelKey, FommModels] = {}
    runners, not_run = [], {}
    for variant in variants:
        try:
            runners.append(_runner(variant, clips[load_config(variant.config_path).frame_size][0], shared))
        except BackendUnavailableError as exc:
            not_run[variant.name] = LiveTiming.not_run(variant.name, str(exc))
    for index in range(warmup + frames):
        for runner in runners:
            runner.step(clips[runner.models.config.frame_size][index + 1], record=index >= warmup)
    by_name = {r.variant.name: r for r in runners}
    timings = {r.variant.name: r.timing(by_name.get(r.variant.reference or "")) for r in runners}
    return [timings.get(v.name) or not_run[v.name] for v in variants]


def measure_live(
    configs: list[tuple[str, Path]], frames: int = 20, warmup: int = 3, channels_last: bool = False
) -> list[LiveTiming]:
    """Plain float32 variants of several configs on the CPU (the `fomm bench` default)."""
    variants = [Variant(name, path, channels_last=channels_last) for name, path in configs]
    return measure_variants(variants, frames, warmup)


def timing_line(timing: LiveTiming, reference: str = "fp32") -> str:
    """One printable line per variant: ms per stage, fps, size and fidelity (or why it did not run)."""
    if timing.unavailable is not None:
        return f"{timing.name}: not run ({timing.unavailable})"
    line = (
        f"{timing.name}: frame {timing.frame_ms:.1f} ms (keypoints {timing.keypoints_ms:.1f} ms, "
        f"generator {timing.generator_ms:.1f} ms), {timing.fps:.1f} fps, "
        f"{timing.params_millions:.2f} M parameters, median of {timing.frames} frames"
    )
    if timing.psnr is not None:
        line += f"; vs {reference}: max diff {timing.max_abs_diff}, PSNR {timing.psnr:.1f} dB"
    return line

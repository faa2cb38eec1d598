"""Choosing the backend of the per-frame work by measurement, behind a fidelity guard.

`prepare_backend` builds (or loads from the cache) the exported backend, then runs the same few
synthetic frames through it and through the torch float32 path, interleaved. Below `MIN_PSNR_DB`
against torch the backend is refused; with "auto" it must also be faster than torch on those frames.
Whatever is decided, the reason comes back in words for the log, the CLI and the GUI.
"""

from __future__ import annotations

import logging
import math
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.backends.base import (
    BACKEND_REQUESTS,
    BACKENDS,
    BackendCancelledError,
    BackendUnavailableError,
    FrameBackend,
)
from engine.backends.cache import default_cache_dir
from engine.backends.openvino_backend import build_openvino_backends, unsupported_reason
from engine.errors import FommError
from engine.imaging import to_rgb_uint8
from engine.models import FommModels
from engine.session import AnimationSession

log = logging.getLogger(__name__)

MIN_PSNR_DB = 40.0
GUARD_FRAMES = 4  # timed frames per path, after one untimed


@dataclass(frozen=True)
class GuardReport:
    """A backend against torch float32 on the same frames: PSNR (dB) and max difference of the uint8
    images, and the median milliseconds of a frame on each path."""

    psnr: float
    max_abs_diff: int
    backend_ms: float
    torch_ms: float
    frames: int

    @property
    def passed(self) -> bool:
        return self.psnr >= MIN_PSNR_DB


@dataclass(frozen=True)
class BackendChoice:
    """What `prepare_backend` decided. `backend` None means the session's own torch networks; `guards`
    holds the guard's figures of every backend measured."""

    requested: str
    name: str
    backend: FrameBackend | None
    reason: str
    guards: dict[str, GuardReport] = field(default_factory=dict)

    def describe(self) -> str:
        return f"backend {self.name}: {self.reason}"

    def summary(self) -> str:
        """One short line for a status bar: the backend with its guard figures, and the refused ones
        (`describe` has everything, for the log and the CLI)."""
        chosen = self.guards.get(self.name)
        if chosen is None and not self.guards:
            return self.describe()
        line = f"backend {self.name}"
        if chosen is not None:
            fidelity = "same pixels as torch" if math.isinf(chosen.psnr) else f"{chosen.psnr:.1f} dB vs torch"
            line += f": {fidelity}, {chosen.torch_ms / chosen.backend_ms:.1f}x its speed"
        refused = [f"{name} {g.psnr:.1f} dB" for name, g in self.guards.items() if not g.passed]
        slower = [name for name, g in self.guards.items() if g.passed and g.backend_ms >= g.torch_ms]
        if refused:
            line += f"; below {MIN_PSNR_DB:.0f} dB: {', '.join(refused)}"
        if slower and chosen is None:
            line += f"; not faster than torch: {', '.join(slower)}"
        return line


def psnr(images: list[np.ndarray], reference: list[np.ndarray]) -> tuple[int, float]:
    """(max absolute difference, PSNR in dB over all frames) of uint8 images against the reference's."""
    a = np.stack(images).astype(np.float64)
    b = np.stack(reference).astype(np.float64)
    mse = float(np.mean((a - b) ** 2))
    value = math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)
    return int(np.abs(a - b).max()), value


def probe_clip(size: int, count: int, picture: np.ndarray | None = None, seed: int = 0) -> list[np.ndarray]:
    """`count` uint8 (size, size, 3) frames of `picture` (e.g. the avatar about to be animated; default:
    a smooth random picture) sliding a few pixels a frame, so the keypoints move as on a moving face.
    Frame 0 serves as the source."""
    margin = max(4, size // 8)
    if picture is None:
        coarse = torch.from_numpy(np.random.default_rng(seed).random((1, 3, 12, 12), dtype=np.float32))
    else:
        coarse = torch.from_numpy(to_rgb_uint8(picture, "probe picture")).permute(2, 0, 1)[None].float() / 255
    smooth = F.interpolate(coarse, size=(size + 2 * margin,) * 2, mode="bicubic", align_corners=False)
    moving = (smooth.clamp(0, 1)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    frames = []
    for i in range(count):
        dx = round(margin * (1 + 0.8 * math.sin(0.9 * i)))
        dy = round(margin * (1 + 0.8 * math.cos(0.7 * i)))
        frames.append(np.ascontiguousarray(moving[dy : dy + size, dx : dx + size]))
    return frames


def fidelity_guard(
    models: FommModels,
    backends: dict[str, FrameBackend],
    frames: int = GUARD_FRAMES,
    cancel: threading.Event | None = None,
    picture: np.ndarray | None = None,
) -> dict[str, GuardReport]:
    """Run `frames` + 1 probe frames (of `picture`, see `probe_clip`) through each backend and the torch
    float32 path, frame by frame in turns (all see the same machine load); compare every image and time
    all but the first frame."""
    clip = probe_clip(models.config.frame_size, frames + 2, picture)
    sessions = {"torch": AnimationSession(models)}
    for name, backend in backends.items():
        sessions[name] = AnimationSession(models)
        sessions[name].set_backend(backend)
    images: dict[str, list[np.ndarray]] = {name: [] for name in sessions}
    times: dict[str, list[float]] = {name: [] for name in sessions}
    for session in sessions.values():
        session.set_source(clip[0])
    for index, frame in enumerate(clip[1:]):
        if cancel is not None and cancel.is_set():
            raise BackendCancelledError("backend build cancelled")
        for name, session in sessions.items():
            start = time.perf_counter()
            images[name].append(session.animate(frame, with_extras=False).image)
            if index > 0:
                times[name].append((time.perf_counter() - start) * 1000.0)
    torch_ms = statistics.median(times["torch"])
    reports = {}
    for name in backends:
        diff, value = psnr(images[name], images["torch"])
        reports[name] = GuardReport(value, diff, statistics.median(times[name]), torch_ms, frames)
    return reports


def build_backend(
    models: FommModels, name: str, cache_dir: Path | None = None, cancel: threading.Event | None = None
) -> tuple[FrameBackend, str]:
    """Exported backend `name` for these models without the guard (a benchmark measures fidelity itself).

    Returns (backend, how it was obtained); raises BackendUnavailableError saying why it cannot run."""
    if name not in BACKENDS or name == "torch":
        raise FommError(f"no exported backend named '{name}' (known: {', '.join(BACKENDS[1:])})")
    candidates, _ = _candidates(name)
    backends, how = build_openvino_backends(models, candidates, cache_dir or default_cache_dir(), cancel)
    return backends[name], how


def prepare_backend(
    models: FommModels,
    request: str = "auto",
    cache_dir: Path | None = None,
    cancel: threading.Event | None = None,
    picture: np.ndarray | None = None,
) -> BackendChoice:
    """'torch', an exported backend by name, or 'auto' (the fastest backend that passed its guard).

    `picture`: what the guard animates (best the source about to be animated: fidelity depends on the
    content); default a smooth random picture. Never fails over a backend: a missing package, a refused
    export or a slower one gives torch with the reason. Raises FommError only for an unknown request,
    BackendCancelledError when cancelled."""
    if request not in BACKEND_REQUESTS:
        raise FommError(f"backend must be one of {', '.join(BACKEND_REQUESTS)} (got '{request}')")
    if request == "torch":
        return BackendChoice(request, "torch", None, "as asked")
    try:
        candidates, skipped = _candidates(request)
        backends, how = build_openvino_backends(models, candidates, cache_dir or default_cache_dir(), cancel)
    except BackendUnavailableError as exc:
        return BackendChoice(request, "torch", None, f"openvino unavailable: {exc}")
    guards = fidelity_guard(models, dict(backends), cancel=cancel, picture=picture)
    notes = [f"{name} {_figures(report)}" for name, report in guards.items()] + skipped
    refused = [name for name, report in guards.items() if not report.passed]
    for name in refused:
        log.warning("%s refused by the fidelity guard: %s", name, _figures(guards[name]))
    usable = [name for name, report in guards.items() if report.passed]
    if request == "auto":
        usable = [name for name in usable if guards[name].backend_ms < guards[name].torch_ms]
    if not usable:
        why = "refused by the fidelity guard" if refused else "not faster than torch"
        return BackendChoice(
            request, "torch", None, f"{', '.join(guards)} {why} ({'; '.join(notes)})", guards
        )
    best = min(usable, key=lambda name: guards[name].backend_ms)
    return BackendChoice(request, best, backends[best], f"{how}; {'; '.join(notes)}", guards)


def _candidates(request: str) -> tuple[list[str], list[str]]:
    """The exported backends to build for `request`, and a note for each one this CPU cannot run."""
    wanted = [name for name in BACKENDS if name != "torch"] if request == "auto" else [request]
    candidates, skipped = [], []
    for name in wanted:
        reason = unsupported_reason(name)
        if reason is None:
            candidates.append(name)
        elif request == "auto":
            skipped.append(f"{name} skipped: {reason}")
        else:
            raise BackendUnavailableError(f"{name}: {reason}")
    return candidates, skipped


def _figures(report: GuardReport) -> str:
    verdict = "" if report.passed else f", below the {MIN_PSNR_DB:.0f} dB bar"
    return (
        f"PSNR {report.psnr:.1f} dB vs torch fp32 (max diff {report.max_abs_diff}){verdict}, "
        f"{report.backend_ms:.1f} ms a frame vs torch {report.torch_ms:.1f} ms"
    )

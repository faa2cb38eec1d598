"""The OpenVINO backend: the frame's work exported once to OpenVINO IR as four graphs
(`engine.backends.openvino_graphs`) and run by OpenVINO's CPU runtime, each graph at the precision
its recipe names (`RECIPES`). Measured on lite-256 (README, "Fast CPU backend"): float32 ~1.5x faster
than torch channels_last on 2 cores; with the convolution stacks in bf16, ~2x.

The source's tensors are bound once per source (`bind_source`); each frame passes only the driving
image, then the keypoints. Outputs flow from one graph into the next as OpenVINO tensors (no copy).

`openvino` is imported here only, lazily: without it the app runs on torch and says how to get it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from engine.backends import openvino_graphs
from engine.backends.base import (
    BACKENDS,
    MOTION_OUTPUTS,
    BackendCancelledError,
    BackendUnavailableError,
    BoundSource,
)
from engine.backends.cache import CacheKey, StaleEntryError, read_entry, weights_digest, write_entry
from engine.backends.openvino_graphs import GRAPHS, keypoint_names
from engine.models import FommModels
from engine.motion import KeypointDict

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install openvino==2026.4.1"
# Bump when the exported graphs change: older cache entries then no longer match their key.
# 2: four graphs (keypoints, dense_motion, warp, decode) instead of two.
EXPORT_FORMAT = 2
_F32 = dict.fromkeys(GRAPHS, "f32")
# Backend name -> each graph's inference precision. One exported (float32) set of graphs serves all:
# the precision is chosen when compiling. Ordered from most to least faithful; the guard measures
# each on the avatar and "auto" takes the fastest that keeps 40 dB. bf16 only on a CPU with native bf16.
RECIPES: dict[str, dict[str, str]] = {
    "openvino": _F32,
    # the decoder's convolutions in bf16: ~57 dB, max difference 1/255 (lite-256, astronaut)
    "openvino-bf16-decoder": {**_F32, "decode": "bf16"},
    # + the keypoint detector: ~45 dB on the astronaut photo, ~53 dB on the drawn avatar
    "openvino-mixed": {**_F32, "keypoints": "bf16", "decode": "bf16"},
    # everything: ~39.5 dB on the astronaut photo (refused there), ~47 dB on the drawn avatar
    "openvino-bf16": dict.fromkeys(GRAPHS, "bf16"),
}
assert tuple(RECIPES) == BACKENDS[1:], "every exported backend a user can ask for has a recipe"


def import_openvino() -> ModuleType:
    """The `openvino` package, or BackendUnavailableError saying how to install it."""
    try:
        import openvino
    except ImportError as exc:
        raise BackendUnavailableError(f"OpenVINO is not installed ({INSTALL_HINT})") from exc
    return openvino


def check_exportable(models: FommModels) -> None:
    """The backend runs float32 on the CPU and needs a dense motion network (every original config has one)."""
    if models.device.type != "cpu":
        raise BackendUnavailableError(
            f"the OpenVINO backend runs on the CPU only (models on {models.device})"
        )
    if models.generator.dense_motion_network is None:
        raise BackendUnavailableError("the OpenVINO backend needs a config with dense_motion_params")


def export_graphs(models: FommModels, cancel: threading.Event | None = None) -> dict[str, bytes]:
    """The four graphs as OpenVINO IR files by name (see `openvino_graphs.export_graphs`)."""
    return openvino_graphs.export_graphs(import_openvino(), models, cancel)


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise BackendCancelledError("backend build cancelled")


def unsupported_reason(name: str) -> str | None:
    """Why backend `name` cannot run on this CPU, or None when it can."""
    if "bf16" not in RECIPES[name].values():
        return None
    capabilities = import_openvino().Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return None if "BF16" in capabilities else "this CPU has no native bf16 instructions"


class OpenVinoBackend:
    """Runs the four compiled graphs with one infer request each (so: one session, one thread at a time)."""

    def __init__(self, name: str, compiled: dict[str, Any]):
        self.name = name
        self._requests = {graph: compiled[graph].create_infer_request() for graph in GRAPHS}
        self._kp_names = keypoint_names(len(compiled["keypoints"].outputs) == 2)
        self._bound: list[np.ndarray] = []  # keeps the memory the source's input tensors share alive
        self._has_source = False

    def precisions(self) -> dict[str, str]:
        """Each graph's inference precision as the runtime reports it (what the recipe asked for, unless
        the CPU cannot)."""
        return {
            graph: request.get_compiled_model().get_property("INFERENCE_PRECISION_HINT").get_type_name()
            for graph, request in self._requests.items()
        }

    def bind_source(self, source: BoundSource) -> None:
        ov = import_openvino()
        cache = source.cache
        if cache.features is None or cache.motion_source is None:
            raise BackendUnavailableError("the OpenVINO backend needs the source's cached features")
        kp_source = [source.kp_source[k] for k in self._kp_names]
        self._bound = [
            np.ascontiguousarray(t.detach().float().cpu().numpy())
            for t in (*kp_source, cache.motion_source, cache.features)
        ]
        dense = self._requests["dense_motion"]
        first = len(self._kp_names)  # the driving keypoints come first
        for offset, array in enumerate(self._bound[:-1]):
            dense.set_input_tensor(first + offset, ov.Tensor(array, shared_memory=True))
        self._requests["warp"].set_input_tensor(0, ov.Tensor(self._bound[-1], shared_memory=True))
        self._has_source = True

    def keypoints(self, driving: torch.Tensor) -> KeypointDict:
        """Shapes: (1, 3, S, S) float32 -> value (1, K, 2), jacobian (1, K, 2, 2)."""
        frame = np.ascontiguousarray(driving.detach().float().cpu().numpy())
        out = self._requests["keypoints"].infer({0: frame}, share_inputs=True)
        return {name: torch.from_numpy(out[i]) for i, name in enumerate(self._kp_names)}

    def generate(self, kp_driving: KeypointDict) -> torch.Tensor:
        """Shapes: kp (1, K, 2) [, (1, K, 2, 2)] -> prediction (1, 3, S, S) float32."""
        if not self._has_source:
            raise BackendUnavailableError("no source bound to the OpenVINO backend: call bind_source() first")
        dense, warp, decode = (self._requests[g] for g in ("dense_motion", "warp", "decode"))
        dense.infer(
            {
                i: np.ascontiguousarray(kp_driving[name].detach().float().cpu().numpy())
                for i, name in enumerate(self._kp_names)
            },
            share_inputs=True,
        )
        for index in range(len(dense.model_outputs)):  # deformation [, occlusion]
            warp.set_input_tensor(1 + index, dense.get_output_tensor(index))
        warp.infer()
        decode.set_input_tensor(0, warp.get_output_tensor(0))
        decode.infer()
        return torch.from_numpy(decode.get_output_tensor(0).data.copy())

    def last_motion(self) -> dict[str, torch.Tensor]:
        """The dense motion graph's outputs of the last `generate`, copied (the next frame overwrites
        them): deformation (1, h, w, 2) [, occlusion map (1, 1, h, w)]."""
        dense = self._requests["dense_motion"]
        return {
            name: torch.from_numpy(dense.get_output_tensor(index).data.copy())
            for index, name in zip(range(len(dense.model_outputs)), MOTION_OUTPUTS, strict=False)
        }


def compile_backends(files: dict[str, bytes], threads: int, names: list[str]) -> dict[str, OpenVinoBackend]:
    """Load the graphs from memory and compile each for the CPU at the precision each backend's recipe
    gives it (see `RECIPES`), with `threads` threads. A (graph, precision) pair several recipes share is
    read and compiled once: the four recipes need 8 compilations, not 16. Each backend still gets its
    own infer requests. Raises StaleEntryError when the files do not make valid graphs."""
    ov = import_openvino()
    core = ov.Core()
    compiled: dict[tuple[str, str], Any] = {}
    try:
        for name in names:
            for graph, precision in RECIPES[name].items():
                if (graph, precision) in compiled:
                    continue
                settings = {
                    "INFERENCE_NUM_THREADS": threads,
                    "INFERENCE_PRECISION_HINT": precision,
                    "PERFORMANCE_HINT": "LATENCY",
                }
                weights = ov.Tensor(np.frombuffer(files[f"{graph}.bin"], dtype=np.uint8).copy())
                model = core.read_model(model=files[f"{graph}.xml"], weights=weights)
                compiled[graph, precision] = core.compile_model(model, "CPU", settings)
    except (RuntimeError, KeyError) as exc:
        raise StaleEntryError(f"not loadable by OpenVINO ({exc})".splitlines()[0]) from exc
    return {
        name: OpenVinoBackend(name, {graph: compiled[graph, p] for graph, p in RECIPES[name].items()})
        for name in names
    }


def compile_backend(files: dict[str, bytes], threads: int, name: str = "openvino") -> OpenVinoBackend:
    """Backend `name` alone (see `compile_backends`)."""
    return compile_backends(files, threads, [name])[name]


def cache_key(models: FommModels) -> CacheKey:
    """The cache key of these models' export: their weights, config, frame size, the runtime's version."""
    digest = weights_digest({"kp_detector": models.kp_detector, "generator": models.generator})
    return CacheKey.of("openvino", models.config, digest, import_openvino().get_version(), EXPORT_FORMAT)


def build_openvino_backends(
    models: FommModels, names: list[str], cache_dir: Path, cancel: threading.Event | None = None
) -> tuple[dict[str, OpenVinoBackend], str]:
    """The models' OpenVINO backends `names` (keys of `RECIPES`), from the cache, or exported (and
    cached) when the entry is missing or stale. Returns (backends by name, how they were obtained)."""
    check_exportable(models)
    key = cache_key(models)
    path = key.path(cache_dir)
    threads = torch.get_num_threads()
    try:
        files = read_entry(path, key)
        return compile_backends(files, threads, names), f"loaded from the cache ({path.name})"
    except FileNotFoundError:
        how = "exported (first use of these weights)"
    except StaleEntryError as exc:
        log.warning("backend cache entry %s is stale, rebuilding: %s", path, exc)
        how = f"rebuilt (the cache entry was stale: {exc})"
    files, how = _export_and_cache(models, key, path, cancel, how)
    try:
        return compile_backends(files, threads, names), how
    except StaleEntryError as exc:
        raise BackendUnavailableError(f"the exported graphs did not compile: {exc}") from exc


def _export_and_cache(
    models: FommModels, key: CacheKey, path: Path, cancel: threading.Event | None, how: str
) -> tuple[dict[str, bytes], str]:
    _check_cancel(cancel)
    start = time.perf_counter()
    try:
        files = export_graphs(models, cancel)
    except RuntimeError as exc:  # an operation the converter cannot take: the caller stays on torch
        raise BackendUnavailableError(f"export to OpenVINO failed: {str(exc).splitlines()[0]}") from exc
    _check_cancel(cancel)
    how = f"{how} in {time.perf_counter() - start:.1f} s"
    try:
        write_entry(path, key, files)
    except OSError as exc:  # a read-only or full cache folder costs the next start an export, nothing more
        log.warning("could not cache the exported backend in %s: %s", path, exc)
        how += f", not cached ({exc})"
    return files, how

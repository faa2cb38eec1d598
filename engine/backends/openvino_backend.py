"""The OpenVINO backend: the frame's two network halves exported once to OpenVINO IR and run by its CPU
runtime (measured ~1.5x faster than torch channels_last for lite-256 on 2 cores; README, "Fast CPU
backend").

What is exported, with a fixed frame size S and batch one:
- `keypoints`: driving (1, 3, S, S) -> value (1, K, 2) [, jacobian (1, K, 2, 2)].
- `motion`: kp_driving value [, jacobian], kp_source value [, jacobian], source features, blurred
  source (`SourceCache`) -> prediction (1, 3, S, S). Dense motion, warp, occlusion and decoder.
The source's tensors are inputs, not constants: a new avatar is bound in microseconds instead of
re-exporting (tens of seconds), and one cache entry serves every source. They are set once per source
(`bind_source`); each frame only passes the keypoints.

`openvino` is imported here only, lazily: without it the app runs on torch and says how to get it.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import threading
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.backends.base import BackendCancelledError, BackendUnavailableError, BoundSource
from engine.backends.cache import CacheKey, StaleEntryError, read_entry, weights_digest, write_entry
from engine.generator import OcclusionAwareGenerator, SourceCache
from engine.keypoint_detector import KPDetector
from engine.models import FommModels
from engine.motion import KeypointDict

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install openvino==2026.4.1"
# Bump when the exported graphs change: older cache entries then no longer match their key.
EXPORT_FORMAT = 1
GRAPHS = ("keypoints", "motion")
# Backend name -> the runtime's inference precision. One exported (float32) graph serves both: bf16 is
# chosen when compiling, and only on a CPU with native bf16 (it measured ~2x faster for vox-256 there).
PRECISIONS = {"openvino": "f32", "openvino-bf16": "bf16"}


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


def motion_input_names(has_jacobian: bool) -> tuple[str, ...]:
    """Inputs of the `motion` graph, in order."""
    kp = ("value", "jacobian") if has_jacobian else ("value",)
    return (
        *(f"kp_driving.{k}" for k in kp),
        *(f"kp_source.{k}" for k in kp),
        "features",
        "motion_source",
    )


class _KeypointGraph(nn.Module):
    """The keypoint detector with tuple outputs (what a graph export wants)."""

    def __init__(self, kp_detector: KPDetector):
        super().__init__()
        self.kp_detector = kp_detector

    def forward(self, driving: torch.Tensor) -> tuple[torch.Tensor, ...]:
        kp = self.kp_detector(driving)
        return (kp["value"], kp["jacobian"]) if "jacobian" in kp else (kp["value"],)


class _MotionGraph(nn.Module):
    """Dense motion + generator decoder with the source's tensors as inputs (see `motion_input_names`)."""

    def __init__(self, generator: OcclusionAwareGenerator, names: tuple[str, ...]):
        super().__init__()
        self.generator = generator
        self.names = names

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        given = dict(zip(self.names, tensors, strict=True))
        kp_driving = {k.split(".")[1]: v for k, v in given.items() if k.startswith("kp_driving.")}
        kp_source = {k.split(".")[1]: v for k, v in given.items() if k.startswith("kp_source.")}
        features = given["features"]
        cache = SourceCache(features, given["motion_source"])
        # the source image is never read when both cached tensors are given and with_deformed is off,
        # so the features stand in for it
        out = self.generator(
            features, kp_driving=kp_driving, kp_source=kp_source, cache=cache, with_deformed=False
        )
        return out["prediction"]


def exportable_copies(models: FommModels) -> tuple[KPDetector, OcclusionAwareGenerator]:
    """Private float32 NCHW copies of the networks to trace: the live thread keeps using the originals."""
    kp_detector, generator = copy.deepcopy(models.kp_detector), copy.deepcopy(models.generator)
    for net in (kp_detector, generator):
        net.float().to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    return kp_detector.eval(), generator.eval()


def export_graphs(models: FommModels, cancel: threading.Event | None = None) -> dict[str, bytes]:
    """Trace both graphs and serialise them as OpenVINO IR: {'keypoints.xml': ..., 'keypoints.bin': ...,
    'motion.xml': ..., 'motion.bin': ...}. Weights stay float32 (no fp16 compression)."""
    ov = import_openvino()
    kp_detector, generator = exportable_copies(models)
    size = models.config.frame_size
    # the values do not matter (the graphs have no data-dependent branch), only the shapes
    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        kp = kp_detector(image)
        dense = generator.dense_motion_network
        assert dense is not None  # check_exportable ran
        features, motion_source = generator.encode_source(image), dense.downsample(image)
    examples = {"keypoints": (image,), "motion": _motion_inputs(kp, kp, features, motion_source)}
    graphs = {
        "keypoints": _KeypointGraph(kp_detector),
        "motion": _MotionGraph(generator, motion_input_names("jacobian" in kp)),
    }
    files: dict[str, bytes] = {}
    for name in GRAPHS:
        _check_cancel(cancel)
        files.update(_convert(ov, name, graphs[name], examples[name]))
    return files


def _motion_inputs(
    kp_driving: KeypointDict, kp_source: KeypointDict, features: torch.Tensor, motion_source: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """The `motion` graph's inputs in `motion_input_names` order."""
    keys = [k for k in ("value", "jacobian") if k in kp_driving]
    return (*(kp_driving[k] for k in keys), *(kp_source[k] for k in keys), features, motion_source)


def _convert(
    ov: ModuleType, name: str, module: nn.Module, example: tuple[torch.Tensor, ...]
) -> dict[str, bytes]:
    start = time.perf_counter()
    with warnings.catch_warnings(), torch.no_grad():
        # the size is fixed, so the tracer's warnings about shape-dependent Python branches do not apply;
        # torch 2.13 deprecates the tracer the converter uses (its torch.export path measured no faster
        # here and left every shape dynamic); pyproject.toml pins torch
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        # static shapes: one frame size per export, as the cache key says (dynamic measured no faster)
        model = ov.convert_model(module, example_input=example, input=[tuple(t.shape) for t in example])
    with tempfile.TemporaryDirectory(prefix="fomm-ov-") as folder:
        xml = Path(folder) / f"{name}.xml"
        ov.save_model(model, xml, compress_to_fp16=False)
        files = {f"{name}.xml": xml.read_bytes(), f"{name}.bin": xml.with_suffix(".bin").read_bytes()}
    log.info("exported the %s graph to OpenVINO in %.1f s", name, time.perf_counter() - start)
    return files


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise BackendCancelledError("backend build cancelled")


def unsupported_reason(name: str) -> str | None:
    """Why backend `name` cannot run on this CPU, or None when it can."""
    if PRECISIONS[name] != "bf16":
        return None
    capabilities = import_openvino().Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return None if "BF16" in capabilities else "this CPU has no native bf16 instructions"


class OpenVinoBackend:
    """Runs the exported graphs with one infer request each (so: one session, one thread at a time)."""

    def __init__(self, name: str, keypoints: Any, motion: Any, has_jacobian: bool):
        self.name = name
        self._keypoints = keypoints.create_infer_request()
        self._motion = motion.create_infer_request()
        self._kp_names = ("value", "jacobian") if has_jacobian else ("value",)
        self._bound: list[np.ndarray] = []  # keeps the memory the source's input tensors share alive
        self._has_source = False

    def bind_source(self, source: BoundSource) -> None:
        ov = import_openvino()
        kp_source = {k: source.kp_source[k] for k in self._kp_names}
        cache = source.cache
        if cache.features is None or cache.motion_source is None:
            raise BackendUnavailableError("the OpenVINO backend needs the source's cached features")
        tensors = [*kp_source.values(), cache.features, cache.motion_source]
        self._bound = [np.ascontiguousarray(t.detach().float().cpu().numpy()) for t in tensors]
        first = len(self._kp_names)  # the driving keypoints come first
        for offset, array in enumerate(self._bound):
            self._motion.set_input_tensor(first + offset, ov.Tensor(array, shared_memory=True))
        self._has_source = True

    def keypoints(self, driving: torch.Tensor) -> KeypointDict:
        """Shapes: (1, 3, S, S) float32 -> value (1, K, 2), jacobian (1, K, 2, 2)."""
        frame = np.ascontiguousarray(driving.detach().float().cpu().numpy())
        out = self._keypoints.infer({0: frame}, share_inputs=True)
        return {name: torch.from_numpy(out[i]) for i, name in enumerate(self._kp_names)}

    def generate(self, kp_driving: KeypointDict) -> torch.Tensor:
        """Shapes: kp (1, K, 2) [, (1, K, 2, 2)] -> prediction (1, 3, S, S) float32."""
        if not self._has_source:
            raise BackendUnavailableError("no source bound to the OpenVINO backend: call bind_source() first")
        inputs = {
            i: np.ascontiguousarray(kp_driving[name].detach().float().cpu().numpy())
            for i, name in enumerate(self._kp_names)
        }
        out = self._motion.infer(inputs, share_inputs=True)
        return torch.from_numpy(out[0])


def compile_backend(files: dict[str, bytes], threads: int, name: str = "openvino") -> OpenVinoBackend:
    """Load both graphs from memory and compile them for the CPU at backend `name`'s precision (see
    `PRECISIONS`) with `threads` threads. Raises StaleEntryError when the files do not make valid graphs."""
    ov = import_openvino()
    core = ov.Core()
    settings = {
        "INFERENCE_NUM_THREADS": threads,
        "INFERENCE_PRECISION_HINT": PRECISIONS[name],
        "PERFORMANCE_HINT": "LATENCY",
    }
    compiled = {}
    try:
        for graph in GRAPHS:
            weights = ov.Tensor(np.frombuffer(files[f"{graph}.bin"], dtype=np.uint8).copy())
            model = core.read_model(model=files[f"{graph}.xml"], weights=weights)
            compiled[graph] = core.compile_model(model, "CPU", settings)
    except (RuntimeError, KeyError) as exc:
        raise StaleEntryError(f"not loadable by OpenVINO ({exc})".splitlines()[0]) from exc
    has_jacobian = len(compiled["keypoints"].outputs) == 2
    return OpenVinoBackend(name, compiled["keypoints"], compiled["motion"], has_jacobian)


def cache_key(models: FommModels) -> CacheKey:
    """The cache key of these models' export: their weights, config, frame size, the runtime's version."""
    digest = weights_digest({"kp_detector": models.kp_detector, "generator": models.generator})
    return CacheKey.of("openvino", models.config, digest, import_openvino().get_version(), EXPORT_FORMAT)


def build_openvino_backends(
    models: FommModels, names: list[str], cache_dir: Path, cancel: threading.Event | None = None
) -> tuple[dict[str, OpenVinoBackend], str]:
    """The models' OpenVINO backends `names` (keys of `PRECISIONS`), from the cache, or exported (and
    cached) when the entry is missing or stale. Returns (backends by name, how they were obtained)."""
    check_exportable(models)
    key = cache_key(models)
    path = key.path(cache_dir)
    threads = torch.get_num_threads()
    try:
        files = read_entry(path, key)
        return {
            name: compile_backend(files, threads, name) for name in names
        }, f"loaded from the cache ({path.name})"
    except FileNotFoundError:
        how = "exported (first use of these weights)"
    except StaleEntryError as exc:
        log.warning("backend cache entry %s is stale, rebuilding: %s", path, exc)
        how = f"rebuilt (the cache entry was stale: {exc})"
    files, how = _export_and_cache(models, key, path, cancel, how)
    try:
        return {name: compile_backend(files, threads, name) for name in names}, how
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

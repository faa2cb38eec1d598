"""The per-frame work cut into four graphs for the OpenVINO export, so that each can run at its own
precision (`engine.backends.openvino_backend.RECIPES`).

Why four: measured on the shipped lite model and the astronaut photo, bf16 costs almost nothing in the
convolution stacks (decoder alone in bf16: 57 dB against torch float32, max difference 1/255) but
much in what computes coordinates (keypoint detector, dense motion, the warp: bf16 keeps 8 bits of
mantissa, about a pixel at 256). One graph compiled in bf16 gave 38.6 dB; marking nodes to stay
float32 inside it had no effect on the CPU plugin, so the cut is made between graphs instead.

With a fixed frame size S, K keypoints and batch one:
- `keypoints`: driving (1, 3, S, S) -> value (1, K, 2) [, jacobian (1, K, 2, 2)].
- `dense_motion`: kp_driving value [, jacobian], kp_source value [, jacobian], the source blurred at
  the dense motion scale -> deformation (1, h, w, 2) [, occlusion map (1, 1, h, w)].
- `warp`: source features, deformation [, occlusion] -> warped features (1, F, H, W) (Eq. 6).
- `decode`: warped features -> prediction (1, 3, S, S).
The source's tensors are inputs, not constants: a new avatar is bound in microseconds instead of
re-exporting, and one cache entry serves every source.
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

import torch
from torch import nn

from engine.backends.base import BackendCancelledError
from engine.dense_motion import DenseMotionNetwork
from engine.generator import OcclusionAwareGenerator, warp_features
from engine.keypoint_detector import KPDetector
from engine.models import FommModels

log = logging.getLogger(__name__)

GRAPHS = ("keypoints", "dense_motion", "warp", "decode")


def keypoint_names(has_jacobian: bool) -> tuple[str, ...]:
    """The keypoint tensors a graph passes, in order (configs without Jacobians have only values)."""
    return ("value", "jacobian") if has_jacobian else ("value",)


class KeypointGraph(nn.Module):
    """The keypoint detector with tuple outputs (what a graph export wants)."""

    def __init__(self, kp_detector: KPDetector):
        super().__init__()
        self.kp_detector = kp_detector

    def forward(self, driving: torch.Tensor) -> tuple[torch.Tensor, ...]:
        kp = self.kp_detector(driving)
        return tuple(kp[name] for name in keypoint_names("jacobian" in kp))


class DenseMotionGraph(nn.Module):
    """Inputs: driving keypoints, source keypoints (each value [, jacobian]), blurred source."""

    def __init__(self, dense: DenseMotionNetwork, has_jacobian: bool):
        super().__init__()
        self.dense = dense
        self.names = keypoint_names(has_jacobian)

    def forward(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        n = len(self.names)
        kp_driving = dict(zip(self.names, tensors[:n], strict=True))
        kp_source = dict(zip(self.names, tensors[n : 2 * n], strict=True))
        motion_source = tensors[2 * n]
        # the source image is never read when its blurred copy is given
        out = self.dense(motion_source, kp_driving, kp_source, motion_source=motion_source)
        return (out["deformation"], out["occlusion_map"]) if "occlusion_map" in out else (out["deformation"],)


class WarpGraph(nn.Module):
    """Inputs: source features, deformation [, occlusion map]."""

    def forward(self, features: torch.Tensor, *motion: torch.Tensor) -> torch.Tensor:
        return warp_features(features, motion[0], motion[1] if len(motion) > 1 else None)


class DecodeGraph(nn.Module):
    """The generator's decoder: the convolution stack that bf16 leaves almost unchanged."""

    def __init__(self, generator: OcclusionAwareGenerator):
        super().__init__()
        self.generator = generator

    def forward(self, warped: torch.Tensor) -> torch.Tensor:
        return self.generator.decode(warped)


def exportable_copies(models: FommModels) -> tuple[KPDetector, OcclusionAwareGenerator]:
    """Private float32 NCHW copies of the networks to trace: the live thread keeps using the originals."""
    kp_detector = copy.deepcopy(models.kp_detector).float().to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    generator = copy.deepcopy(models.generator).float().to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    return kp_detector.eval(), generator.eval()


def traced_graphs(models: FommModels) -> dict[str, tuple[nn.Module, tuple[torch.Tensor, ...]]]:
    """Each graph's module with an example input of the right shapes (values do not matter)."""
    kp_detector, generator = exportable_copies(models)
    dense = generator.dense_motion_network
    assert dense is not None  # check_exportable ran
    size = models.config.frame_size
    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        kp = kp_detector(image)
        names = keypoint_names("jacobian" in kp)
        kp_tensors = tuple(kp[name] for name in names)
        motion_source = dense.downsample(image)
        dense_graph = DenseMotionGraph(dense, "jacobian" in kp)
        motion = dense_graph(*kp_tensors, *kp_tensors, motion_source)
        features = generator.encode_source(image)
        warped = WarpGraph()(features, *motion)
    return {
        "keypoints": (KeypointGraph(kp_detector), (image,)),
        "dense_motion": (dense_graph, (*kp_tensors, *kp_tensors, motion_source)),
        "warp": (WarpGraph(), (features, *motion)),
        "decode": (DecodeGraph(generator), (warped,)),
    }


def export_graphs(
    ov: ModuleType, models: FommModels, cancel: threading.Event | None = None
) -> dict[str, bytes]:
    """Trace the four graphs and serialise them as OpenVINO IR: {'keypoints.xml': ..., 'keypoints.bin':
    ..., 'dense_motion.xml': ...}. Weights stay float32 (the precision is chosen when compiling)."""
    files: dict[str, bytes] = {}
    for name, (module, example) in traced_graphs(models).items():
        if cancel is not None and cancel.is_set():
            raise BackendCancelledError("backend build cancelled")
        files.update(_convert(ov, name, module, example))
    return files


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

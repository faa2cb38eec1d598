"""The seam between one animated frame's steps (`AnimationSession.animate`) and the networks doing them.

A backend runs the two network halves of a frame on float32 batch-of-one tensors: the keypoint
detector on the driving frame, then dense motion + generator decoder with the source's encoded
features bound once per source. The keypoint algebra in between (the keypoint filter, the relative
transfer of Sec. 3.4) stays in the session, in torch float32, whatever the backend: it is a few
2x2 products on K keypoints, and the filter and the calibration need the detector's raw keypoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from engine.errors import FommError
from engine.generator import OcclusionAwareGenerator, SourceCache
from engine.keypoint_detector import KPDetector
from engine.motion import KeypointDict

# What a user may ask for: a backend by name, or "auto" (the fastest one that passed its fidelity guard).
BACKENDS = ("torch", "openvino", "openvino-bf16-decoder", "openvino-mixed", "openvino-bf16")
BACKEND_REQUESTS = ("auto", *BACKENDS)
# What every backend's `last_motion` hands back (the generator's outputs of the same names).
MOTION_OUTPUTS = ("deformation", "occlusion_map")


class BackendUnavailableError(FommError):
    """A backend that cannot run here (its package is missing, the device or precision does not fit);
    the message says why and, for a missing package, how to install it."""


class BackendCancelledError(FommError):
    """A backend build stopped at a cancellation point because its user no longer wants it."""


@dataclass(frozen=True)
class BoundSource:
    """What a backend keeps of the source between frames: the image (1, C, S, S) float32, its keypoints
    (value (1, K, 2), jacobian (1, K, 2, 2)) and its cached features (see `SourceCache`)."""

    image: torch.Tensor
    kp_source: KeypointDict
    cache: SourceCache


class FrameBackend(Protocol):
    """The per-frame networks. One backend serves one session at a time: it holds the bound source."""

    name: str

    def bind_source(self, source: BoundSource) -> None:
        """Keep the source's tensors for every following `generate`."""
        ...

    def keypoints(self, driving: torch.Tensor) -> KeypointDict:
        """Shapes: driving (1, C, S, S) float32 in [0, 1] -> value (1, K, 2), jacobian (1, K, 2, 2)."""
        ...

    def generate(self, kp_driving: KeypointDict) -> torch.Tensor:
        """The bound source moved to `kp_driving` (already transferred for the source).

        Shapes: kp as `keypoints` returns -> prediction (1, C, S, S) float32 in [0, 1].
        """
        ...

    def last_motion(self) -> dict[str, torch.Tensor]:
        """The dense motion the last `generate` computed on its way: 'deformation' (1, h, w, 2) and,
        when the config estimates one, 'occlusion_map' (1, 1, h, w), float32 (see `MOTION_OUTPUTS`).
        Lets a caller that needs the flow (detail transfer) stay on the backend."""
        ...


class TorchBackend:
    """Today's path: the session's own torch networks (any device, any precision)."""

    name = "torch"

    def __init__(self, kp_detector: KPDetector, generator: OcclusionAwareGenerator):
        self.kp_detector = kp_detector
        self.generator = generator
        self._source: BoundSource | None = None
        self._motion: dict[str, torch.Tensor] = {}

    def bind_source(self, source: BoundSource) -> None:
        self._source = source

    def keypoints(self, driving: torch.Tensor) -> KeypointDict:
        return self.kp_detector(driving)

    def generate(self, kp_driving: KeypointDict) -> torch.Tensor:
        if self._source is None:
            raise FommError("no source bound to the torch backend: call bind_source() first")
        out = self.generator(
            self._source.image,
            kp_driving=kp_driving,
            kp_source=self._source.kp_source,
            cache=self._source.cache,
            with_deformed=False,
        )
        self._motion = {name: out[name] for name in MOTION_OUTPUTS if name in out}
        return out["prediction"]

    def last_motion(self) -> dict[str, torch.Tensor]:
        return dict(self._motion)

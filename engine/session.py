"""AnimationSession: the thin, stateful wrapper the GUI and CLI drive, one driving frame at a time.

The source image's keypoints and encoded features are computed once in `set_source` and reused for
every frame. The first frame after `set_source` or `reset_calibration` becomes the initial driving
frame D_1 of relative motion transfer (Sec. 3.4) unless `calibrate(frame)` set one explicitly.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from engine.backends.base import (
    MOTION_OUTPUTS,
    BackendUnavailableError,
    BoundSource,
    FrameBackend,
    TorchBackend,
)
from engine.errors import FommError
from engine.generator import OcclusionAwareGenerator, SourceCache
from engine.imaging import FitMode, fit_square, image_to_tensor, tensor_to_image, to_rgb_uint8, uint8_to_input
from engine.keypoint_detector import KPDetector
from engine.models import FommModels
from engine.motion import KeypointDict, MotionOptions, movement_scale, transfer_keypoints
from engine.stage_clock import StageClock
from engine.transfer import FrameUploader, image_to_uint8, to_host

Precision = Literal["fp32", "fp16", "bf16"]
PRECISIONS: dict[str, torch.dtype] = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# Arrays an inspection overlay may ask for besides the output image and the keypoints.
EXTRAS = frozenset({"driving", "heatmaps", "mask", "occlusion_map", "deformed", "deformation"})
# The extras the networks produce (the rest, 'driving', is the input as the model saw it).
NETWORK_EXTRAS = EXTRAS - {"driving"}
# The network extras every backend also hands back (`FrameBackend.last_motion`): asking for them keeps
# a frame on its backend. Any other network extra runs the frame on torch, whatever the backend.
MOTION_EXTRAS = frozenset(MOTION_OUTPUTS)
TORCH_EXTRAS = NETWORK_EXTRAS - MOTION_EXTRAS


@dataclass(frozen=True)
class Keypoints:
    """One image's keypoints as numpy: value (K, 2) in [-1, 1] (x, y); jacobian (K, 2, 2) or None."""

    value: np.ndarray
    jacobian: np.ndarray | None

    def to_torch(self, like: torch.Tensor) -> KeypointDict:
        """Back to a batch-of-one keypoint dict on `like`'s device and dtype."""
        out = {"value": torch.as_tensor(self.value, dtype=like.dtype, device=like.device).unsqueeze(0)}
        if self.jacobian is not None:
            out["jacobian"] = torch.as_tensor(self.jacobian, dtype=like.dtype, device=like.device).unsqueeze(
                0
            )
        return out

    @classmethod
    def from_torch(cls, kp: KeypointDict) -> Keypoints:
        jac = kp.get("jacobian")
        return cls(
            kp["value"][0].detach().float().cpu().numpy(),
            None if jac is None else jac[0].detach().float().cpu().numpy(),
        )


@dataclass
class AnimationResult:
    """One animated frame plus everything the inspection overlays draw.

    image, driving, deformed: uint8 (S, S, 3); `driving` (the frame as the model saw it) and the rest
    below only when asked for (see `AnimationSession.animate`). occlusion_map: float32 (h, w) in [0, 1].
    mask: float32 (K+1, h, w), index 0 = background. deformation: float32 (h, w, 2) backward flow in
    [-1, 1] coordinates. heatmaps: float32 (K, h', w') of the driving frame. timings: milliseconds.
    """

    image: np.ndarray
    kp_source: Keypoints
    kp_driving: Keypoints
    kp_norm: Keypoints
    occlusion_map: np.ndarray | None = None
    mask: np.ndarray | None = None
    deformed: np.ndarray | None = None
    deformation: np.ndarray | None = None
    heatmaps: np.ndarray | None = None
    driving: np.ndarray | None = None
    timings: dict[str, float] = field(default_factory=dict)
    backend: str = (
        "torch"  # what ran the networks of this frame (torch whenever a TORCH_EXTRAS one was asked)
    )


KeypointFilter = Callable[[KeypointDict], KeypointDict]


def extras_set(with_extras: bool | Collection[str]) -> frozenset[str]:
    """`True` (every extra), `False` (none) or names from `EXTRAS`; unknown names are an error."""
    if isinstance(with_extras, bool):
        return EXTRAS if with_extras else frozenset()
    names = frozenset(with_extras)
    if not names <= EXTRAS:
        raise FommError(f"unknown extras {sorted(names - EXTRAS)} (known: {sorted(EXTRAS)})")
    return names


class AnimationSession:
    """Animate one source image with driving frames. Not thread-safe: use it from one thread.

    `keypoint_filter` (e.g. a One-Euro temporal filter) is applied to each frame's driving keypoints
    (float32 tensors on the model's device, batch of one) before motion transfer, so live jitter can
    be smoothed without touching the models or leaving the device.

    `precision` 'fp16' (CUDA only) or 'bf16' runs the networks on a reduced-precision copy of the
    weights (no per-frame autocast re-casting); keypoints, Jacobians, their algebra, heatmap softmax,
    flows and sampling grids stay float32.

    Per frame on a GPU: one upload (uint8, pinned), no host synchronisation until the end, and one
    download holding the image, the keypoints and only the extras asked for.

    `backend` (see `engine.backends`) runs the networks of frames that ask for no `TORCH_EXTRAS`; the
    default is the session's own torch networks. `set_backend` switches between two frames.
    """

    def __init__(
        self,
        models: FommModels,
        options: MotionOptions | None = None,
        precision: Precision = "fp32",
        source_fit: FitMode = "pad",
        driving_fit: FitMode = "crop",
    ):
        if precision not in PRECISIONS:
            raise FommError(f"precision must be one of {', '.join(PRECISIONS)} (got '{precision}')")
        if precision == "fp16" and models.device.type != "cuda":
            raise FommError("fp16 precision needs a CUDA device (use bf16 or fp32 on the CPU)")
        self.models = models.eval()
        self.options = options or MotionOptions()
        self.precision: Precision = precision
        self.dtype = PRECISIONS[precision]
        self.kp_detector, self.generator = self._networks(models, self.dtype)
        self.source_fit: FitMode = source_fit
        self.driving_fit: FitMode = driving_fit
        self._uploader = FrameUploader(models.device)
        self._source: torch.Tensor | None = None
        self._source_image: np.ndarray | None = None
        self._source_features: torch.Tensor | None = None
        self._motion_source: torch.Tensor | None = None
        self._kp_source: KeypointDict | None = None
        self._kp_source_host: Keypoints | None = None
        self._kp_initial: KeypointDict | None = None
        self._scale: torch.Tensor | float | None = None  # movement scale of this calibration
        self.keypoint_filter: KeypointFilter | None = None
        self.backend: FrameBackend = TorchBackend(self.kp_detector, self.generator)

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def set_backend(self, backend: FrameBackend | None) -> None:
        """Run the following frames on `backend` (None: this session's torch networks). An exported
        backend runs float32 on the CPU, so it needs an fp32 session on the CPU."""
        name = "torch" if backend is None else backend.name
        if name != "torch" and (self.precision != "fp32" or self.device.type != "cpu"):
            raise BackendUnavailableError(
                f"the {name} backend needs an fp32 session on the CPU "
                f"(this one is {self.precision} on {self.device})"
            )
        self.backend = backend or TorchBackend(self.kp_detector, self.generator)
        self._bind_source()

    def _bind_source(self) -> None:
        if self._source is not None and self._kp_source is not None:
            cache = SourceCache(self._source_features, self._motion_source)
            self.backend.bind_source(BoundSource(self._source, self._kp_source, cache))

    @staticmethod
    def _networks(models: FommModels, dtype: torch.dtype) -> tuple[KPDetector, OcclusionAwareGenerator]:
        """The shared float32 networks, or this session's own reduced-precision copies (the models may
        be cached and shared with a float32 user)."""
        if dtype == torch.float32:
            return models.kp_detector, models.generator
        return copy.deepcopy(models.kp_detector).to(dtype), copy.deepcopy(models.generator).to(dtype)

    def compile(self, mode: str = "reduce-overhead") -> None:
        """Compile this session's networks with `torch.compile` (on CUDA, 'reduce-overhead' replays the
        fixed-shape frame as a CUDA graph). The first frames are slow while it compiles."""
        self.kp_detector = torch.compile(self.kp_detector, mode=mode)  # type: ignore[assignment]
        self.generator = torch.compile(self.generator, mode=mode)  # type: ignore[assignment]
        if isinstance(self.backend, TorchBackend):
            self.set_backend(None)

    @property
    def frame_size(self) -> int:
        return self.models.config.frame_size

    @property
    def device(self) -> torch.device:
        return self.models.device

    @property
    def has_source(self) -> bool:
        return self._source is not None

    @property
    def is_calibrated(self) -> bool:
        return self._kp_initial is not None

    @property
    def source_image(self) -> np.ndarray | None:
        """The source as the model sees it (square, frame size), uint8 (S, S, 3)."""
        return self._source_image

    def set_options(self, options: MotionOptions) -> None:
        self.options = options
        self._scale = None

    def _input(self, image: np.ndarray, fit: FitMode, name: str) -> torch.Tensor:
        return image_to_tensor(image, self.frame_size, fit, self.device, name=name).to(self.dtype)

    def set_source(self, image: np.ndarray) -> Keypoints:
        """Cache the source's keypoints and features; the next frame re-calibrates."""
        source = self._input(image, self.source_fit, "source image")
        with self._inference():
            kp_source = self.kp_detector(source)
            features = self.generator.encode_source(source)
            dense = self.generator.dense_motion_network
            self._motion_source = dense.downsample(source) if dense is not None else None
        self._source, self._kp_source, self._source_features = source, kp_source, features
        self._source_image = tensor_to_image(source)
        self._kp_source_host = Keypoints.from_torch(kp_source)
        self._bind_source()
        self.reset_calibration()
        return self._kp_source_host

    def calibrate(self, frame: np.ndarray | None = None) -> None:
        """Take `frame` as the initial driving frame; with None, the next animated frame becomes it."""
        self.reset_calibration()
        if frame is None:
            return
        driving = self._input(frame, self.driving_fit, "driving frame")
        with self._inference():
            self._kp_initial = self.backend.keypoints(driving)

    def reset_calibration(self) -> None:
        self._kp_initial = None
        self._scale = None

    def detect_keypoints(self, frame: np.ndarray) -> Keypoints:
        """Keypoints of any frame, for inspection."""
        tensor = self._input(frame, self.driving_fit, "frame")
        with self._inference():
            return Keypoints.from_torch(self.kp_detector(tensor))

    def animate(self, frame: np.ndarray, with_extras: bool | Collection[str] = True) -> AnimationResult:
        """Drive the source with one frame. `with_extras`: every overlay array (True), none (False,
        fastest), or the names wanted from `EXTRAS`: only those are computed and copied to the host.
        A frame asking for a `TORCH_EXTRAS` array runs on the torch networks, whatever the backend; the
        `MOTION_EXTRAS` (deformation, occlusion map) come from the backend that ran the frame."""
        if self._source is None or self._kp_source is None:
            raise FommError("no source image: call set_source() before animate()")
        extras = extras_set(with_extras)
        clock = StageClock(self.device)
        square = fit_square(to_rgb_uint8(frame, "driving frame"), self.driving_fit)
        uploaded = self._uploader.upload(square)
        with self._inference():
            driving = uint8_to_input(uploaded, self.frame_size).to(self.dtype)
            kp_driving = self._driving_keypoints(driving, extras)
            if self.keypoint_filter is not None:
                moving = {k: v for k, v in kp_driving.items() if k != "heatmap"}
                kp_driving.update(self.keypoint_filter(moving))
            if self._kp_initial is None:
                self._kp_initial = {k: v for k, v in kp_driving.items() if k != "heatmap"}
            kp_norm = transfer_keypoints(
                self._kp_source, kp_driving, self._kp_initial, self.options, self._movement_scale()
            )
            kp_norm.pop("heatmap", None)
            clock.mark("keypoints")
            out = self._generate(kp_norm, extras)
            clock.mark("generator")
            host = to_host(self._for_host(out, kp_driving, kp_norm, driving, extras))
        result = self._result(host, clock.finish())
        result.backend = "torch" if extras & TORCH_EXTRAS else self.backend.name
        return result

    def _driving_keypoints(self, driving: torch.Tensor, extras: frozenset[str]) -> KeypointDict:
        """On the backend, unless a torch-only extra is wanted (the heatmaps need the torch detector)."""
        if not extras & TORCH_EXTRAS:
            return self.backend.keypoints(driving)
        return self.kp_detector(driving, return_heatmap="heatmaps" in extras)

    def _generate(self, kp_norm: KeypointDict, extras: frozenset[str]) -> dict[str, torch.Tensor]:
        """The generator's outputs: the prediction and, when asked, the motion on the backend; everything
        on torch."""
        if not extras & TORCH_EXTRAS:
            out = {"prediction": self.backend.generate(kp_norm)}
            return out | self.backend.last_motion() if extras & MOTION_EXTRAS else out
        assert self._source is not None and self._kp_source is not None  # animate() checked
        return self.generator(
            self._source,
            kp_source=self._kp_source,
            kp_driving=kp_norm,
            cache=SourceCache(self._source_features, self._motion_source),
            with_deformed="deformed" in extras,
        )

    def _movement_scale(self) -> torch.Tensor | float:
        """Computed once per calibration (it depends on the source and the initial frame only), so the
        host round trip of the convex hull is paid on one frame, not on every frame."""
        if self._scale is None:
            assert self._kp_source is not None and self._kp_initial is not None  # animate() set both
            use = self.options.relative and self.options.adapt_movement_scale
            self._scale = movement_scale(self._kp_source, self._kp_initial) if use else 1.0
        return self._scale

    @staticmethod
    def _for_host(
        out: dict[str, torch.Tensor],
        kp_driving: KeypointDict,
        kp_norm: KeypointDict,
        driving: torch.Tensor,
        extras: frozenset[str],
    ) -> dict[str, torch.Tensor]:
        """Everything the host gets from this frame, still on the device (see `to_host`)."""
        wanted = {"image": image_to_uint8(out["prediction"])}
        for name, kp in (("kp_driving", kp_driving), ("kp_norm", kp_norm)):
            for key in ("value", "jacobian"):
                if key in kp:
                    wanted[f"{name}.{key}"] = kp[key][0]
        if "driving" in extras:
            wanted["driving"] = image_to_uint8(driving)
        if "deformed" in extras and "deformed" in out:
            wanted["deformed"] = image_to_uint8(out["deformed"])
        if "heatmaps" in extras and "heatmap" in kp_driving:
            wanted["heatmaps"] = kp_driving["heatmap"][0]
        for name in ("mask", "occlusion_map", "deformation"):
            if name in extras and name in out:
                wanted[name] = out[name][0]
        return wanted

    def _result(self, host: dict[str, np.ndarray], timings: dict[str, float]) -> AnimationResult:
        assert self._kp_source_host is not None  # set_source ran (checked by the caller)
        occlusion = host.get("occlusion_map")
        return AnimationResult(
            image=host["image"],
            kp_source=self._kp_source_host,
            kp_driving=Keypoints(host["kp_driving.value"], host.get("kp_driving.jacobian")),
            kp_norm=Keypoints(host["kp_norm.value"], host.get("kp_norm.jacobian")),
            occlusion_map=None if occlusion is None else occlusion[0],
            mask=host.get("mask"),
            deformed=host.get("deformed"),
            deformation=host.get("deformation"),
            heatmaps=host.get("heatmaps"),
            driving=host.get("driving"),
            timings=timings,
        )

    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        with torch.inference_mode():
            yield

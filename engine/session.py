"""AnimationSession: the thin, stateful wrapper the GUI and CLI drive, one driving frame at a time.

The source image's keypoints and encoded features are computed once in `set_source` and reused for
every frame. The first frame after `set_source` or `reset_calibration` becomes the initial driving
frame D_1 of relative motion transfer (Sec. 3.4) unless `calibrate(frame)` set one explicitly.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from engine.errors import FommError
from engine.imaging import FitMode, image_to_tensor, tensor_to_image
from engine.models import FommModels
from engine.motion import KeypointDict, MotionOptions, normalize_kp


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


@dataclass(frozen=True)
class _FrameTensors:
    """One animated frame's tensors, on the model's device, before they become numpy."""

    driving: torch.Tensor
    out: dict[str, torch.Tensor]
    kp_driving: KeypointDict
    kp_norm: KeypointDict


@dataclass
class AnimationResult:
    """One animated frame plus everything the inspection overlays draw.

    image, driving, deformed: uint8 (S, S, 3). occlusion_map: float32 (h, w) in [0, 1].
    mask: float32 (K+1, h, w), index 0 = background. deformation: float32 (h, w, 2) backward flow in
    [-1, 1] coordinates. heatmaps: float32 (K, h', w') of the driving frame. timings: milliseconds.
    """

    image: np.ndarray
    driving: np.ndarray
    kp_source: Keypoints
    kp_driving: Keypoints
    kp_norm: Keypoints
    occlusion_map: np.ndarray | None = None
    mask: np.ndarray | None = None
    deformed: np.ndarray | None = None
    deformation: np.ndarray | None = None
    heatmaps: np.ndarray | None = None
    timings: dict[str, float] = field(default_factory=dict)


KeypointFilter = Callable[[Keypoints], Keypoints]


class AnimationSession:
    """Animate one source image with driving frames. Not thread-safe: use it from one thread.

    `keypoint_filter` (e.g. a One-Euro temporal filter) is applied to each frame's driving keypoints
    before motion transfer, so live jitter can be smoothed without touching the models.
    """

    def __init__(
        self,
        models: FommModels,
        options: MotionOptions | None = None,
        half: bool = False,
        source_fit: FitMode = "pad",
        driving_fit: FitMode = "crop",
    ):
        if half and models.device.type != "cuda":
            raise FommError("half precision is only supported on CUDA devices")
        self.models = models.eval()
        self.options = options or MotionOptions()
        self.half = half
        self.source_fit: FitMode = source_fit
        self.driving_fit: FitMode = driving_fit
        self._source: torch.Tensor | None = None
        self._source_image: np.ndarray | None = None
        self._source_features: torch.Tensor | None = None
        self._motion_source: torch.Tensor | None = None
        self._kp_source: KeypointDict | None = None
        self._kp_initial: KeypointDict | None = None
        self.keypoint_filter: KeypointFilter | None = None

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

    def set_source(self, image: np.ndarray) -> Keypoints:
        """Cache the source's keypoints and features; the next frame re-calibrates."""
        source = image_to_tensor(image, self.frame_size, self.source_fit, self.device, name="source image")
        with self._inference():
            kp_source = self.models.kp_detector(source)
            features = self.models.generator.encode_source(source)
            dense = self.models.generator.dense_motion_network
            self._motion_source = dense.downsample(source) if dense is not None else None
        self._source, self._kp_source, self._source_features = source, kp_source, features
        self._source_image = tensor_to_image(source)
        self._kp_initial = None
        return Keypoints.from_torch(kp_source)

    def calibrate(self, frame: np.ndarray | None = None) -> None:
        """Take `frame` as the initial driving frame; with None, the next animated frame becomes it."""
        if frame is None:
            self._kp_initial = None
            return
        driving = image_to_tensor(frame, self.frame_size, self.driving_fit, self.device, name="driving frame")
        with self._inference():
            self._kp_initial = self.models.kp_detector(driving)

    def reset_calibration(self) -> None:
        self._kp_initial = None

    def detect_keypoints(self, frame: np.ndarray) -> Keypoints:
        """Keypoints of any frame, for inspection."""
        tensor = image_to_tensor(frame, self.frame_size, self.driving_fit, self.device, name="frame")
        with self._inference():
            return Keypoints.from_torch(self.models.kp_detector(tensor))

    def animate(self, frame: np.ndarray, with_extras: bool = True) -> AnimationResult:
        """Drive the source with one frame. `with_extras=False` skips the overlay arrays (faster)."""
        if self._source is None or self._kp_source is None:
            raise FommError("no source image: call set_source() before animate()")
        timings: dict[str, float] = {}
        start = time.perf_counter()
        driving = image_to_tensor(frame, self.frame_size, self.driving_fit, self.device, name="driving frame")
        with self._inference():
            kp_driving = self.models.kp_detector(driving, return_heatmap=with_extras)
            if self.keypoint_filter is not None:
                filtered = self.keypoint_filter(Keypoints.from_torch(kp_driving))
                kp_driving.update(filtered.to_torch(kp_driving["value"]))
            if self._kp_initial is None:
                self._kp_initial = {k: v for k, v in kp_driving.items() if k != "heatmap"}
            kp_norm = normalize_kp(self._kp_source, kp_driving, self._kp_initial, self.options)
            kp_norm.pop("heatmap", None)
            self._sync()
            timings["keypoints"] = (time.perf_counter() - start) * 1000.0
            gen_start = time.perf_counter()
            out = self.models.generator(
                self._source,
                kp_source=self._kp_source,
                kp_driving=kp_norm,
                source_features=self._source_features,
                motion_source=self._motion_source,
            )
            self._sync()
            timings["generator"] = (time.perf_counter() - gen_start) * 1000.0
        return self._result(_FrameTensors(driving, out, kp_driving, kp_norm), timings, with_extras)

    def _result(self, frame: _FrameTensors, timings: dict[str, float], with_extras: bool) -> AnimationResult:
        assert self._kp_source is not None  # set_source ran (checked by the caller)
        driving, out, kp_driving, kp_norm = frame.driving, frame.out, frame.kp_driving, frame.kp_norm
        result = AnimationResult(
            image=tensor_to_image(out["prediction"]),
            driving=tensor_to_image(driving),
            kp_source=Keypoints.from_torch(self._kp_source),
            kp_driving=Keypoints.from_torch(kp_driving),
            kp_norm=Keypoints.from_torch(kp_norm),
            timings=timings,
        )
        if with_extras:

            def numpy(t: torch.Tensor) -> np.ndarray:
                return t[0].detach().float().cpu().numpy()

            if "occlusion_map" in out:
                result.occlusion_map = numpy(out["occlusion_map"])[0]
            if "mask" in out:
                result.mask = numpy(out["mask"])
            if "deformed" in out:
                result.deformed = tensor_to_image(out["deformed"])
            if "deformation" in out:
                result.deformation = numpy(out["deformation"])
            if "heatmap" in kp_driving:
                result.heatmaps = numpy(kp_driving["heatmap"])
        return result

    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        with torch.inference_mode():
            if self.half:
                with torch.autocast(device_type="cuda", dtype=torch.float16):
                    yield
            else:
                yield

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

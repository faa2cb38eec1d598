"""Building a live pipeline inside the GUI's worker thread: which feed a spec means (camera, clip,
synthetic, or 'auto'), the model cache that makes Stop/Start cheap, and the builder the GUI hands over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from engine import FommModels
from fomm_studio.devices import concrete_device
from fomm_studio.live.cropping import CropperLike
from fomm_studio.live.face_tracking import FaceCropper
from fomm_studio.live.feeds import CameraFeed, FeedError, FrameFeed, VideoFileFeed, open_feed
from fomm_studio.live.messages import LiveOptions
from fomm_studio.live.pipeline import FeedSetup, LivePipeline
from fomm_studio.live.source_info import feed_kind


class AutoFeed:
    """Camera 0 when there is one, else the looping sample clip: what a first start should show."""

    def __init__(self, fallback: Path, camera_index: int = 0):
        self.fallback = fallback
        self.camera_index = camera_index
        self._inner: FrameFeed | None = None
        self.name = "camera or sample clip"

    @property
    def fps(self) -> float | None:
        return None if self._inner is None else self._inner.fps

    @property
    def kind(self) -> str:
        """The kind of the feed it opened ('camera' or 'video'); 'other' before it opened one."""
        return feed_kind(self._inner)

    def open(self) -> None:
        camera = CameraFeed(self.camera_index)
        try:
            camera.open()
            self._inner = camera
        except FeedError:
            if not self.fallback.is_file():
                raise FeedError(f"no camera found and the sample clip {self.fallback} is missing") from None
            clip = VideoFileFeed(self.fallback, loop=True, realtime=True)
            clip.open()
            self._inner = clip
            self.name = f"sample clip {self.fallback.name} (no camera found)"
            return
        self.name = camera.name

    def read(self) -> np.ndarray:
        if self._inner is None:
            raise FeedError("source is not open")
        return self._inner.read()

    def close(self) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()


def make_feed(spec: str, sample_clip: Path) -> FrameFeed:
    """'auto' (camera 0, else the sample clip), a camera index, 'synthetic' or a video file path."""
    if spec.strip().lower() == "auto":
        return AutoFeed(sample_clip)  # type: ignore[return-value]
    return open_feed(spec)


class ModelSource(Protocol):
    """What the cache needs of a model-picker entry (`ModelEntry` is one): its files and a loader."""

    @property
    def config_path(self) -> Path | None: ...

    @property
    def checkpoint_path(self) -> Path: ...

    def load(self, device: str = "cpu") -> FommModels: ...


class ModelCache:
    """Keeps the last loaded models so stop/start does not reload them. Thread-safe.

    The key is the files and the resolved device (with its GPU index: 'auto' on a GPU machine is
    'cuda:0'), and the same device is handed to the loader, so the cached models always live where the
    key says."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str, str] | None = None
        self._models: FommModels | None = None

    def get(self, model: ModelSource, device: str) -> FommModels:
        resolved = str(concrete_device(device))
        key = (str(model.config_path), str(model.checkpoint_path), resolved)
        with self._lock:
            if self._key != key or self._models is None:
                self._models, self._key = None, None
                self._models = model.load(resolved)
                self._key = key
            return self._models


@dataclass(frozen=True)
class LiveSpec:
    """Everything the worker needs to build the live pipeline. `device` 'auto' is the current CUDA GPU
    when torch sees one, else the CPU (see fomm_studio.devices). `backend` 'auto' starts on torch and
    moves to the fastest exported backend that passes its fidelity guard once it is built (see
    `BackendSwitch`)."""

    model: ModelSource
    feed_spec: str
    options: LiveOptions
    avatar_path: Path | None
    sample_clip: Path
    device: str = "auto"
    display_size: int = 384
    pipelined: bool = True
    backend: str = "auto"


def pipeline_factory(
    spec: LiveSpec, cache: ModelCache, cropper: CropperLike | None = None
) -> Callable[[], LivePipeline]:
    """A builder the GUI hands to its worker: everything heavy (model load, avatar read) runs when the
    worker calls it, inside the worker's thread."""

    def build() -> LivePipeline:
        models = cache.get(spec.model, spec.device)
        if models.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed frame shapes: pick the fastest kernels once
        feeds = FeedSetup(
            lambda feed_spec: make_feed(feed_spec, spec.sample_clip),
            spec.feed_spec,
            cropper or FaceCropper(out_size=spec.display_size),
            spec.display_size,
            spec.pipelined,
        )
        pipeline = LivePipeline(models, feeds, spec.options, backend=spec.backend)
        if spec.avatar_path is not None:
            pipeline.set_avatar_file(spec.avatar_path)
        return pipeline

    return build

"""The live puppeteering loop without Qt: one `LivePipeline.step()` reads a frame, crops the face,
animates the avatar, draws the overlays and returns a `LiveFrame` for the GUI.

The GUI's worker thread owns one pipeline and feeds it small immutable commands between frames
(`apply`). Everything here runs in that one thread; nothing is shared with the GUI except the
immutable messages and the numpy images of the result.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from engine import AnimationSession, FommModels, MotionOptions
from engine.errors import FommError
from fomm_studio.live.face_tracking import FaceCropper
from fomm_studio.live.feeds import CameraFeed, FeedError, FrameFeed, VideoFileFeed, open_feed
from fomm_studio.live.overlays import OverlayOptions, Panes, compose_panes, resize_to
from fomm_studio.live.recorder import Recorder
from fomm_studio.live.smoothing import KeypointSmoother
from fomm_studio.live.virtual_camera import VirtualCamera
from fomm_studio.media import read_image

STAGES = ("capture", "crop", "keypoints", "generator", "display")


class CropperLike(Protocol):
    """Turns a camera frame into the square driving crop (face tracking or a plain centre crop)."""

    def __call__(
        self, frame: np.ndarray, face_crop: bool, zoom: float, offset: tuple[float, float]
    ) -> tuple[np.ndarray, bool]: ...


@dataclass(frozen=True)
class LiveOptions:
    """Every user toggle that changes how a frame is processed."""

    face_crop: bool = True
    mirror: bool = True
    zoom: float = 1.0
    offset: tuple[float, float] = (0.0, 0.0)
    relative: bool = True
    adapt_scale: bool = False
    smoothing: bool = False
    smoothing_strength: float = 0.5
    overlays: OverlayOptions = field(default_factory=OverlayOptions)

    @property
    def motion(self) -> MotionOptions:
        return MotionOptions(relative=self.relative, adapt_movement_scale=self.adapt_scale)


# Commands: small immutable messages the GUI posts; the worker applies them between frames.
@dataclass(frozen=True)
class SetAvatar:
    """Switch to the avatar image at `path` (read in the worker thread, not the GUI's)."""

    path: Path


@dataclass(frozen=True)
class Calibrate:
    """Take the next frame as the reference pose (initial driving frame of relative motion)."""


@dataclass(frozen=True)
class SetOptions:
    options: LiveOptions


@dataclass(frozen=True)
class ChangeFeed:
    spec: str


@dataclass(frozen=True)
class StartRecording:
    path: Path
    side_by_side: bool = False


@dataclass(frozen=True)
class StopRecording:
    pass


@dataclass(frozen=True)
class Snapshot:
    path: Path


@dataclass(frozen=True)
class SetVirtualCamera:
    enabled: bool


Command = (
    SetAvatar
    | Calibrate
    | SetOptions
    | ChangeFeed
    | StartRecording
    | StopRecording
    | Snapshot
    | SetVirtualCamera
)


@dataclass(frozen=True)
class LiveFrame:
    """One processed frame for the GUI: the three pane images plus what the status bar shows."""

    panes: Panes
    index: int
    timings: dict[str, float]
    face_found: bool
    calibrated: bool
    recording: bool


@dataclass(frozen=True)
class Notice:
    """Something the user should read (snapshot saved, recording finished or failed)."""

    kind: str
    text: str


def center_crop(frame: np.ndarray, zoom: float = 1.0, offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Largest centred square, shrunk by `zoom` (>= 1) and moved by `offset` (fractions of the frame)."""
    h, w = frame.shape[:2]
    side = max(2, int(min(h, w) / max(zoom, 1.0)))
    cx = w / 2 + offset[0] * w
    cy = h / 2 + offset[1] * h
    left = int(np.clip(cx - side / 2, 0, w - side))
    top = int(np.clip(cy - side / 2, 0, h - side))
    return frame[top : top + side, left : left + side]


def plain_cropper(
    frame: np.ndarray, face_crop: bool, zoom: float, offset: tuple[float, float]
) -> tuple[np.ndarray, bool]:
    """Cropper without face tracking: a centred square with the manual zoom and move."""
    return center_crop(frame, zoom, offset), False


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


class ModelCache:
    """Keeps the last loaded models so stop/start does not reload them. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str, str] | None = None
        self._models: FommModels | None = None

    def get(
        self, config_path: Path, checkpoint_path: Path, device: str, loader: Callable[[], FommModels]
    ) -> FommModels:
        key = (str(config_path), str(checkpoint_path), device)
        with self._lock:
            if self._key != key or self._models is None:
                self._models, self._key = None, None
                self._models = loader()
                self._key = key
            return self._models


@contextlib.contextmanager
def inference_context() -> Iterator[None]:
    """What the worker thread wraps its loop in: no autograd bookkeeping for any tensor it makes."""
    with torch.inference_mode():
        yield


class LivePipeline:
    """Source -> crop -> animate -> overlays, one frame per `step()`. Use from one thread only."""

    def __init__(
        self,
        models: FommModels,
        feed_opener: Callable[[str], FrameFeed],
        feed_spec: str,
        options: LiveOptions | None = None,
        cropper: CropperLike | None = None,
        display_size: int = 384,
        session: AnimationSession | None = None,
    ):
        self.options = options or LiveOptions()
        if session is None and models.device.type == "cpu":
            models.to_channels_last()
        self.session = session or AnimationSession(models, self.options.motion)
        self.session.set_options(self.options.motion)
        self._set_smoothing(self.options)
        self.feed_opener = feed_opener
        self.feed_spec = feed_spec
        self.feed: FrameFeed | None = None
        self.cropper: CropperLike = cropper or plain_cropper
        self.display_size = display_size
        self.avatar_name = ""
        self.frame_index = 0
        self.notices: list[Notice] = []
        self.recorder: Recorder | None = None
        self._record_side_by_side = False
        self._capture_time = 0.0  # perf_counter time the current frame was read from the feed
        self._snapshot_path: Path | None = None
        self._virtual_camera: VirtualCamera | None = None
        self._avatar_display: np.ndarray | None = None

    # -- commands ------------------------------------------------------------------------------
    def apply(self, command: Command) -> None:
        """Apply one GUI command (between frames)."""
        if isinstance(command, SetAvatar):
            self.set_avatar_file(command.path)
        elif isinstance(command, Calibrate):
            self.reset_calibration()
        elif isinstance(command, SetOptions):
            self.set_options(command.options)
        elif isinstance(command, ChangeFeed):
            self.close_feed()
            self.feed_spec = command.spec
        elif isinstance(command, StartRecording):
            self.start_recording(command.path, command.side_by_side)
        elif isinstance(command, StopRecording):
            self.stop_recording()
        elif isinstance(command, Snapshot):
            self._snapshot_path = command.path
        elif isinstance(command, SetVirtualCamera):
            self.set_virtual_camera(command.enabled)

    def set_avatar(self, image: np.ndarray, name: str = "") -> None:
        self.session.set_source(image)
        self.avatar_name = name
        source_image = self.session.source_image
        self._avatar_display = None if source_image is None else resize_to(source_image, self.display_size)

    def set_avatar_file(self, path: Path) -> None:
        """Read and set an avatar; a bad file becomes an error notice and the old avatar stays."""
        try:
            image = read_image(path)
        except FommError as exc:
            self.notices.append(Notice("error", f"Avatar not changed: {exc}"))
            return
        self.set_avatar(image, path.name)
        self.notices.append(Notice("avatar", path.name))

    def set_options(self, options: LiveOptions) -> None:
        old = self.options
        self.options = options
        if options.motion != old.motion:
            self.session.set_options(options.motion)
            self.reset_calibration()
        if (options.smoothing, options.smoothing_strength) != (old.smoothing, old.smoothing_strength):
            self._set_smoothing(options)

    def _set_smoothing(self, options: LiveOptions) -> None:
        enabled = options.smoothing
        self.session.keypoint_filter = KeypointSmoother(options.smoothing_strength) if enabled else None

    def reset_calibration(self) -> None:
        """Next frame becomes the reference pose; the smoother restarts so it does not drag the old pose in."""
        self.session.reset_calibration()
        if isinstance(self.session.keypoint_filter, KeypointSmoother):
            self.session.keypoint_filter.reset()

    # -- feed (the camera side; "source" is the avatar, as in the engine) ------------------------
    @property
    def feed_open(self) -> bool:
        return self.feed is not None

    def open_feed(self) -> str:
        """Open the current feed spec; raises the feed's error (e.g. FeedError) when it fails."""
        feed = self.feed_opener(self.feed_spec)
        feed.open()
        self.feed = feed
        self.reset_calibration()
        return feed.name

    def close_feed(self) -> None:
        feed, self.feed = self.feed, None
        if feed is not None:
            feed.close()

    # -- the frame -----------------------------------------------------------------------------
    def step(self) -> LiveFrame:
        """Process one frame. Raises the source's errors (camera lost) and engine errors unchanged."""
        if self.feed is None:
            self.open_feed()
        assert self.feed is not None  # open_feed set it or raised
        if not self.session.has_source or self._avatar_display is None:
            raise FommError("no avatar image selected")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        frame = self.feed.read()
        t1 = self._capture_time = time.perf_counter()
        crop, face_found = self._crop(frame)
        t2 = time.perf_counter()
        result = self.session.animate(crop, with_extras=self.options.overlays.any)
        t3 = time.perf_counter()
        panes = compose_panes(result, crop, self._avatar_display, self.options.overlays, self.display_size)
        self._outputs(result.image, crop, panes)
        t4 = time.perf_counter()
        timings["capture"] = (t1 - t0) * 1000.0
        timings["crop"] = (t2 - t1) * 1000.0
        keypoints = result.timings.get("keypoints", 0.0)
        timings["keypoints"] = keypoints
        timings["generator"] = result.timings.get("generator", (t3 - t2) * 1000.0 - keypoints)
        timings["display"] = (t4 - t3) * 1000.0
        self.frame_index += 1
        return LiveFrame(
            panes,
            self.frame_index,
            timings,
            face_found,
            self.session.is_calibrated,
            self.recorder is not None,
        )

    def _crop(self, frame: np.ndarray) -> tuple[np.ndarray, bool]:
        if self.options.mirror:
            frame = frame[:, ::-1]
        crop, found = self.cropper(frame, self.options.face_crop, self.options.zoom, self.options.offset)
        return np.ascontiguousarray(crop), found

    def _outputs(self, image: np.ndarray, crop: np.ndarray, panes: Panes) -> None:
        """Feed the recorder, the snapshot and the virtual camera with the clean (overlay-free) output."""
        if self._snapshot_path is not None:
            path, self._snapshot_path = self._snapshot_path, None
            self._save_snapshot(path, image)
        if self.recorder is not None:
            self._record(image, crop)
        if self._virtual_camera is not None:
            self._virtual_camera.send(resize_to(image, self.display_size))

    # -- outputs -------------------------------------------------------------------------------
    def _save_snapshot(self, path: Path, image: np.ndarray) -> None:
        from fomm_studio.media import save_png

        try:
            save_png(path, image)
        except (FommError, OSError) as exc:
            self.notices.append(Notice("error", f"Snapshot failed: {exc}"))
        else:
            self.notices.append(Notice("info", f"Snapshot saved: {path}"))

    def start_recording(self, path: Path, side_by_side: bool = False, fps: float = 25.0) -> None:
        """Record at a fixed frame rate; each frame lasts until the next one (wall-clock time)."""
        self.stop_recording()
        self.recorder = Recorder(path, fps)
        self._record_side_by_side = side_by_side
        self.notices.append(Notice("info", f"Recording to {path}"))

    def _record(self, output: np.ndarray, crop: np.ndarray) -> None:
        """The clean output at its own resolution (as a snapshot), timed by when the frame was captured."""
        assert self.recorder is not None  # checked by the caller
        frame = output
        if self._record_side_by_side:
            side = output.shape[0]
            avatar = self.session.source_image
            assert avatar is not None  # step() checked it
            frame = np.hstack([resize_to(crop, side), resize_to(avatar, side), output])
        self.recorder.write(frame, self._capture_time)

    def stop_recording(self) -> None:
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        try:
            path = recorder.close()
        except FommError as exc:
            self.notices.append(Notice("error", str(exc)))
        else:
            self.notices.append(Notice("info", f"Recording saved: {path}"))

    def set_virtual_camera(self, enabled: bool) -> None:
        if self._virtual_camera is not None:
            self._virtual_camera.close()
            self._virtual_camera = None
        if not enabled:
            return
        try:
            self._virtual_camera = VirtualCamera(self.display_size, self.display_size, 25.0)
        except FommError as exc:
            self.notices.append(Notice("error", str(exc)))
        else:
            self.notices.append(Notice("info", f"Virtual camera on: {self._virtual_camera.device}"))

    def take_notices(self) -> list[Notice]:
        notices, self.notices = self.notices, []
        return notices

    def close(self) -> None:
        """Release the camera, finish a recording and stop the virtual camera."""
        try:
            self.close_feed()
        finally:
            self.stop_recording()
            self.set_virtual_camera(False)


def pipeline_factory(
    config_path: Path,
    checkpoint_path: Path,
    load: Callable[[], FommModels],
    feed_spec: str,
    options: LiveOptions,
    avatar_path: Path | None,
    cache: ModelCache,
    sample_clip: Path,
    device: str = "cpu",
    display_size: int = 384,
    cropper: CropperLike | None = None,
) -> Callable[[], LivePipeline]:
    """A builder the GUI hands to its worker: everything heavy (model load, avatar read) runs when the
    worker calls it, inside the worker's thread."""

    def build() -> LivePipeline:
        models = cache.get(config_path, checkpoint_path, device, load)
        face_cropper = cropper or FaceCropper(out_size=display_size)
        pipeline = LivePipeline(
            models,
            lambda spec: make_feed(spec, sample_clip),
            feed_spec,
            options,
            cropper=face_cropper,
            display_size=display_size,
        )
        if avatar_path is not None:
            pipeline.set_avatar_file(avatar_path)
        return pipeline

    return build

"""The live puppeteering loop without Qt: one `LivePipeline.step()` reads a frame, crops the face,
animates the avatar, draws the overlays and returns a `LiveFrame` for the GUI.

The GUI's worker thread owns one pipeline and feeds it small immutable commands between frames
(`apply`). Everything here runs in that one thread; nothing is shared with the GUI except the
immutable messages and the numpy images of the result.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from engine import AnimationSession, FommModels
from engine.errors import FommError
from fomm_studio.devices import DeviceReport, device_report
from fomm_studio.live.alignment import alignment_error, blend_avatar
from fomm_studio.live.backend_switch import BUILDING_NOTICE, BackendSwitch
from fomm_studio.live.capture import Captured, CaptureLoop
from fomm_studio.live.cropping import CropperLike, plain_cropper
from fomm_studio.live.feeds import FrameFeed
from fomm_studio.live.messages import (
    Calibrate,
    ChangeFeed,
    Command,
    LiveFrame,
    LiveOptions,
    Notice,
    RecordTrainingClip,
    SetAvatar,
    SetOptions,
    SetVirtualCamera,
    Snapshot,
    StartRecording,
    StopRecording,
)
from fomm_studio.live.overlays import Panes, compose_panes, fit_display, resize_to
from fomm_studio.live.paste_back import PasteBack, prepare_paste_back, set_paste_source
from fomm_studio.live.recorder import Recorder, save_snapshot
from fomm_studio.live.smoothing import KeypointSmoother
from fomm_studio.live.source_info import SourceInfo, feed_kind
from fomm_studio.live.training_clip import ClipTap
from fomm_studio.live.virtual_camera import VirtualCamera
from fomm_studio.media import read_image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedSetup:
    """Where the frames come from and how they become the driving crop.

    `pipelined`: read and crop on a capture thread of their own (`CaptureLoop`), overlapping the
    model's work; the newest crop wins. Off: read and crop inline, one frame per step (tests, files).
    """

    opener: Callable[[str], FrameFeed]
    spec: str
    cropper: CropperLike = plain_cropper
    display_size: int = 384
    pipelined: bool = False


@contextlib.contextmanager
def inference_context() -> Iterator[None]:
    """What the worker thread wraps its loop in: no autograd bookkeeping for any tensor it makes."""
    with torch.inference_mode():
        yield


class LivePipeline:
    """Source -> crop -> animate -> overlays, one frame per `step()`. Use from one thread only.

    `backend` (an exported backend or 'auto'): from the first frame on, that backend is built in the
    background (`BackendSwitch`, its guard animating the avatar) while the frames run on torch; the
    session switches to it between two frames once it is ready and passed its guard.
    """

    def __init__(
        self,
        models: FommModels,
        feeds: FeedSetup,
        options: LiveOptions | None = None,
        session: AnimationSession | None = None,
        backend: str = "torch",
    ):
        self.options = options or LiveOptions()
        if session is None:
            models.to_channels_last()  # NHWC: faster on the CPU (measured) and for cuDNN's fp16 kernels
        self.session = session or AnimationSession(models, self.options.motion)
        self.session.set_options(self.options.motion)
        self._models = models
        self._backend_request = None if backend == "torch" else backend
        self._backend_switch: BackendSwitch | None = None
        self._set_smoothing(self.options)
        self.feed_opener = feeds.opener
        self.feed_spec = feeds.spec
        self.feed: FrameFeed | None = None
        self.cropper: CropperLike = feeds.cropper
        self.display_size = feeds.display_size
        self.pipelined = feeds.pipelined
        self._capture: CaptureLoop | None = None
        self.avatar_name = ""
        self.frame_index = 0
        self.notices: list[Notice] = []
        self.recorder: Recorder | None = None
        self.clip = ClipTap()  # the driving crops recorded as training data
        self._record_side_by_side = False
        self._capture_time = 0.0  # perf_counter time the current frame was read from the feed
        self._snapshot_path: Path | None = None
        self._virtual_camera: VirtualCamera | None = None
        self._avatar_display: np.ndarray | None = None
        self._avatar_image: np.ndarray | None = None  # the avatar as the user gave it
        self._paste: PasteBack | None = None
        self._frame_size = (0, 0)  # (width, height) of the last frame read, before the crop

    def device_report(self) -> DeviceReport:
        """Where this pipeline's models run and what one frame costs them (shown next to the model)."""
        return device_report(self.session.models)

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
        elif isinstance(command, RecordTrainingClip):
            self.notices += self.clip.apply(command.dataset, self.session, self.feed)
        elif isinstance(command, Snapshot):
            self._snapshot_path = command.path
        elif isinstance(command, SetVirtualCamera):
            self.set_virtual_camera(command.enabled)

    def set_avatar(self, image: np.ndarray, name: str = "") -> None:
        """Animate `image`; one larger than the model's frame has its head animated and pasted back at
        full resolution (when the option is on and a face is found)."""
        paste = None
        if self.options.paste_back:
            paste = prepare_paste_back(image, self.session.frame_size)
        set_paste_source(self.session, image, paste)
        self._avatar_image, self._paste = image, paste
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
        if options.paste_back != old.paste_back and self._avatar_image is not None:
            self.set_avatar(self._avatar_image, self.avatar_name)

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
        if self.pipelined:
            self._capture = CaptureLoop(feed, self._crop).start()
        self.reset_calibration()
        return feed.name

    def close_feed(self) -> None:
        """Stop the capture thread first (it may be inside `read`), then release the feed."""
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.stop()
        feed, self.feed = self.feed, None
        if feed is not None:
            feed.close()

    @property
    def frames_dropped(self) -> int:
        """Camera frames the capture thread replaced before the model took them (pipelined only)."""
        return 0 if self._capture is None else self._capture.dropped

    # -- the frame -----------------------------------------------------------------------------
    @property
    def backend_switch(self) -> BackendSwitch | None:
        """The background build of the requested backend, until its result is applied."""
        return self._backend_switch

    def _apply_backend(self) -> None:
        """Between frames: start the backend build (once there is an avatar for its guard), then take the
        backend once it is ready (or say why the view stays on torch)."""
        if self._backend_request is not None and self.session.has_source:
            self._backend_switch = BackendSwitch(
                self._models, self._backend_request, self.session.source_image
            )
            self._backend_request = None
            self.notices.append(Notice("info", BUILDING_NOTICE))
        switch = self._backend_switch
        result = None if switch is None else switch.poll()
        if result is None:
            return
        self._backend_switch = None
        if isinstance(result, str):
            self.notices.append(Notice("info", result))
            return
        self.session.set_backend(result.backend)
        log.info("%s", result.describe())
        self.notices.append(Notice("info", result.summary()))

    def step(self) -> LiveFrame:
        """Process one frame. Raises the feed's errors (camera lost) and engine errors unchanged."""
        self._apply_backend()
        if self.feed is None:
            self.open_feed()
        assert self.feed is not None  # open_feed set it or raised
        if not self.session.has_source or self._avatar_display is None:
            raise FommError("no avatar image selected")
        captured = self._next_crop()
        crop, self._capture_time = captured.crop, captured.captured_at
        t2 = time.perf_counter()
        result = self.session.animate(crop, with_extras=self.options.frame_extras(self._paste is not None))
        t3 = time.perf_counter()
        panes = compose_panes(result, crop, self._avatar_display, self.options.overlays, self.display_size)
        output = result.image
        if self._paste is not None:
            output = self._paste.compose(result, detail=self.options.keep_detail)
            if not self.options.overlays.any:  # overlays stay on the crop the model sees
                panes = replace(panes, output=fit_display(output, self.display_size))
        if self.options.align_opacity > 0:  # aligning: the avatar over the driving crop
            blended = blend_avatar(panes.driving, self._avatar_display, self.options.align_opacity)
            panes = replace(panes, driving=blended)
        self._outputs(output, crop, panes)
        t4 = time.perf_counter()
        keypoints = result.timings.get("keypoints", 0.0)
        timings = {
            "capture": captured.read_ms,
            "crop": captured.crop_ms,
            "keypoints": keypoints,
            "generator": result.timings.get("generator", (t3 - t2) * 1000.0 - keypoints),
            "display": (t4 - t3) * 1000.0,
        }
        self.frame_index += 1
        return LiveFrame(
            panes,
            self.frame_index,
            timings,
            captured.face_found,
            self.session.is_calibrated,
            self.recorder is not None,
            captured.captured_at,
            result.backend,
            self.source_info(),
            alignment_error(result.kp_source.value, result.kp_driving.value),
            self.clip.seconds,
        )

    def source_info(self) -> SourceInfo:
        """What drives the view now: a real camera or not, its frame size and rate."""
        feed = self.feed
        if feed is None:
            return SourceInfo("other", self.feed_spec)
        return SourceInfo(feed_kind(feed), feed.name, *self._frame_size, feed.fps)

    def _next_crop(self) -> Captured:
        """The newest crop of the capture thread, or (not pipelined) one read and cropped now."""
        if self._capture is not None:
            return self._capture.take()
        assert self.feed is not None  # step() opened it
        start = time.perf_counter()
        frame = self.feed.read()
        read_done = time.perf_counter()
        crop, found = self._crop(frame)
        crop_ms = (time.perf_counter() - read_done) * 1000.0
        return Captured(self.frame_index + 1, crop, found, read_done, (read_done - start) * 1000.0, crop_ms)

    def _crop(self, frame: np.ndarray) -> tuple[np.ndarray, bool]:
        """Mirror and crop with the current options (read at call time: on the capture thread when
        pipelined, where a new options object simply takes effect from the next frame)."""
        self._frame_size = frame.shape[1], frame.shape[0]
        if self.options.mirror:
            frame = frame[:, ::-1]
        crop, found = self.cropper(frame, self.options.face_crop, self.options.zoom, self.options.offset)
        crop = np.ascontiguousarray(crop)
        self.clip.offer(crop, found, need_face=self.options.face_crop)  # every camera frame, as cropped
        return crop, found

    def _outputs(self, image: np.ndarray, crop: np.ndarray, panes: Panes) -> None:
        """Feed the recorder, the snapshot and the virtual camera with the clean (overlay-free) output."""
        if self._snapshot_path is not None:
            path, self._snapshot_path = self._snapshot_path, None
            self.notices.append(save_snapshot(path, image))
        if self.recorder is not None:
            self._record(image, crop)
        if self._virtual_camera is not None:
            self._virtual_camera.send(fit_display(image, self.display_size))

    # -- outputs -------------------------------------------------------------------------------
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
            avatar = self._avatar_image if self._paste is not None else self.session.source_image
            assert avatar is not None  # step() checked it
            if avatar.shape != output.shape:
                avatar = resize_to(avatar, side)
            frame = np.hstack([resize_to(crop, side), avatar, output])
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
        """Release the camera, finish a recording, stop the virtual camera and drop a backend build."""
        self._backend_request = None
        if self._backend_switch is not None:
            self._backend_switch.close()
        try:
            self.close_feed()
        finally:
            self.stop_recording()
            self.notices += self.clip.apply(None, self.session, self.feed)
            self.set_virtual_camera(False)

"""What the GUI and the live pipeline say to each other: the user's options, commands (small immutable
messages the GUI posts and the worker applies between frames), and what comes back per frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine import MotionOptions
from fomm_studio.live.detail_transfer import DETAIL_EXTRAS
from fomm_studio.live.overlays import OverlayOptions, Panes
from fomm_studio.live.source_info import SourceInfo

STAGES = ("capture", "crop", "keypoints", "generator", "display")


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
    paste_back: bool = True  # an avatar larger than the model's frame: animate its head, keep its size
    keep_detail: bool = True  # with paste-back: the avatar's fine detail, moved by the model's flow
    align_opacity: float = 0.0  # > 0: the avatar drawn over the driving pane at this opacity (aligning)

    def frame_extras(self, pasting: bool) -> frozenset[str]:
        """What each frame must hand back: the overlays' arrays and, when the avatar is `pasting` back,
        the flow and occlusion map detail transfer moves the avatar's detail with."""
        detail = DETAIL_EXTRAS if pasting and self.keep_detail else frozenset()
        return self.overlays.extras | detail

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
    """Apply new user toggles from the next frame on."""

    options: LiveOptions


@dataclass(frozen=True)
class ChangeFeed:
    """Switch the camera side: 'auto', a camera index, 'synthetic' or a video file path."""

    spec: str


@dataclass(frozen=True)
class StartRecording:
    """Record the clean output (optionally driving | avatar | output) to an mp4."""

    path: Path
    side_by_side: bool = False


@dataclass(frozen=True)
class StopRecording:
    """Finish the recording; its path or error comes back as a notice."""

    pass


@dataclass(frozen=True)
class RecordTrainingClip:
    """Start recording the driving crops into `dataset`'s train split (see `training_clip`); None stops."""

    dataset: Path | None


@dataclass(frozen=True)
class Snapshot:
    """Save the next frame's clean output as a PNG."""

    path: Path


@dataclass(frozen=True)
class SetVirtualCamera:
    """Send the output to a virtual webcam (pyvirtualcam) or stop sending it."""

    enabled: bool


Command = (
    SetAvatar
    | Calibrate
    | SetOptions
    | ChangeFeed
    | StartRecording
    | StopRecording
    | RecordTrainingClip
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
    captured_at: float = 0.0  # time.perf_counter() when the camera frame was read: latency starts here
    backend: str = "torch"  # what ran this frame's networks (see engine.backends)
    source: SourceInfo | None = None  # what drives the view (a real camera or not, its mode)
    alignment: float | None = None  # mean driving-to-avatar keypoint distance, % of the frame side
    clip_seconds: float | None = None  # seconds in the training clip being recorded; None: not recording


@dataclass(frozen=True)
class Notice:
    """Something the user should read (snapshot saved, recording finished or failed)."""

    kind: str
    text: str

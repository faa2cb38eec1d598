"""Everything the Qt GUI (`ui/`) uses from the lower layers, in one import.

`ui` may import only `fomm_studio`; this facade keeps that boundary explicit and small.
"""

from __future__ import annotations

from engine import AnimationResult, AnimationSession, FommModels, MotionOptions, load_models
from engine.backends.base import BACKEND_REQUESTS
from engine.errors import FommError, MissingWeightsError
from fomm_studio.config_catalog import ConfigMatch, detect_config
from fomm_studio.devices import DeviceChoice, DeviceReport, concrete_device, device_choices
from fomm_studio.diagnostics import LiveDiagnostics, diagnostics_text
from fomm_studio.live.avatar_preflight import AvatarCheck, check_avatar_file, save_suggested_crop
from fomm_studio.live.cropping import center_crop, plain_cropper
from fomm_studio.live.feeds import (
    CameraLostError,
    FeedError,
    FrameFeed,
    SyntheticFeed,
    VideoFeedError,
    VideoFileFeed,
)
from fomm_studio.live.flow_view import flow_legend
from fomm_studio.live.hints import DEFAULT_MODEL_HINT, shows_default_model_hint
from fomm_studio.live.launch import LiveSpec, ModelCache, make_feed, pipeline_factory
from fomm_studio.live.messages import (
    STAGES,
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
from fomm_studio.live.overlays import (
    BACKGROUND_COLOR,
    OverlayOptions,
    Panes,
    colormap_bar,
    compose_panes,
    palette,
)
from fomm_studio.live.pipeline import FeedSetup, LivePipeline, inference_context
from fomm_studio.live.source_info import SourceInfo
from fomm_studio.live.training_clip import clips_folder, recorded_clips
from fomm_studio.live.virtual_camera import availability as virtual_camera_availability
from fomm_studio.media import MediaError, VideoReader, read_image, save_png
from fomm_studio.model_registry import (
    ASSETS_DIR,
    DEFAULT_CHECKPOINT,
    DEFAULT_CONFIG,
    DEFAULT_MODEL_ID,
    ModelEntry,
    ModelNotFoundError,
    ModelRegistry,
)
from fomm_studio.offline.animation_job import AnimationCancelledError, AnimationJob
from fomm_studio.offline.inspection import FrameInspector
from fomm_studio.offline.landmarks import check_landmark_weights
from fomm_studio.settings import (
    Settings,
    default_animation_path,
    default_output_dir,
    load_settings,
    output_dir,
    save_settings,
    settings_path,
    training_clip_dataset,
)
from fomm_studio.training.config_edits import (
    PRESETS,
    Preset,
    TrainEdits,
    check_edits,
    read_edits,
    run_edits,
    write_run_config,
)
from fomm_studio.training.dataset_report import report_text, scan_dataset_report
from fomm_studio.training.distill_resume import resumed_distill_request
from fomm_studio.training.launch import (
    STUDENT_KINDS,
    DistillRequest,
    LaunchError,
    LaunchRequest,
    build_command,
    build_distill_command,
    cuda_device_count,
    default_run_dir,
    process_environment,
    supervised_command,
    vgg_weights_problem,
)
from fomm_studio.training.monitor import CheckpointRow, RunMonitor, Series
from fomm_studio.training.personalize import (
    LR_SCALE,
    PERSONALIZE_STEPS,
    NoClipsError,
    PersonalizePlan,
    prepare_personalize,
)
from fomm_studio.training.run_folders import request_stop
from fomm_studio.training.supervisor import (
    ProcessStatus,
    kill_training,
    pid_alive,
    read_status,
    status_path,
    terminate_training,
)
from fomm_studio.training.supervisor import log_path as training_log_path
from trainer.losses import PERCEPTUAL_BACKENDS
from trainer.run_folder import holds_run
from trainer.video_cache import ScanCancelledError

AVATARS_DIR = ASSETS_DIR / "avatars"
SAMPLE_DRIVING = ASSETS_DIR / "sample_driving.mp4"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif")


__all__ = [
    "AVATARS_DIR",
    "BACKEND_REQUESTS",
    "BACKGROUND_COLOR",
    "DEFAULT_CHECKPOINT",
    "DEFAULT_CONFIG",
    "DEFAULT_MODEL_HINT",
    "DEFAULT_MODEL_ID",
    "IMAGE_SUFFIXES",
    "LR_SCALE",
    "PERCEPTUAL_BACKENDS",
    "PERSONALIZE_STEPS",
    "PRESETS",
    "SAMPLE_DRIVING",
    "STAGES",
    "STUDENT_KINDS",
    "VIDEO_SUFFIXES",
    "AnimationCancelledError",
    "AnimationJob",
    "AnimationResult",
    "AnimationSession",
    "AvatarCheck",
    "Calibrate",
    "CameraLostError",
    "ChangeFeed",
    "CheckpointRow",
    "Command",
    "ConfigMatch",
    "DeviceChoice",
    "DeviceReport",
    "DistillRequest",
    "FeedError",
    "FeedSetup",
    "FommError",
    "FommModels",
    "FrameFeed",
    "FrameInspector",
    "LaunchError",
    "LaunchRequest",
    "LiveDiagnostics",
    "LiveFrame",
    "LiveOptions",
    "LivePipeline",
    "LiveSpec",
    "MediaError",
    "MissingWeightsError",
    "ModelCache",
    "ModelEntry",
    "ModelNotFoundError",
    "ModelRegistry",
    "MotionOptions",
    "NoClipsError",
    "Notice",
    "OverlayOptions",
    "Panes",
    "PersonalizePlan",
    "Preset",
    "ProcessStatus",
    "RecordTrainingClip",
    "RunMonitor",
    "ScanCancelledError",
    "Series",
    "SetAvatar",
    "SetOptions",
    "SetVirtualCamera",
    "Settings",
    "Snapshot",
    "SourceInfo",
    "StartRecording",
    "StopRecording",
    "SyntheticFeed",
    "TrainEdits",
    "VideoFeedError",
    "VideoFileFeed",
    "VideoReader",
    "build_command",
    "build_distill_command",
    "center_crop",
    "check_avatar_file",
    "check_edits",
    "check_landmark_weights",
    "clips_folder",
    "colormap_bar",
    "compose_panes",
    "concrete_device",
    "cuda_device_count",
    "default_animation_path",
    "default_output_dir",
    "default_run_dir",
    "detect_config",
    "device_choices",
    "diagnostics_text",
    "flow_legend",
    "holds_run",
    "inference_context",
    "kill_training",
    "load_models",
    "load_settings",
    "make_feed",
    "output_dir",
    "palette",
    "pid_alive",
    "pipeline_factory",
    "plain_cropper",
    "prepare_personalize",
    "process_environment",
    "read_edits",
    "read_image",
    "read_status",
    "recorded_clips",
    "report_text",
    "request_stop",
    "resumed_distill_request",
    "run_edits",
    "save_png",
    "save_settings",
    "save_suggested_crop",
    "scan_dataset_report",
    "settings_path",
    "shows_default_model_hint",
    "status_path",
    "supervised_command",
    "terminate_training",
    "training_clip_dataset",
    "training_log_path",
    "vgg_weights_problem",
    "virtual_camera_availability",
    "write_run_config",
]

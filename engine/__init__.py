"""FOMM engine: the First Order Motion Model in pure torch (no Qt, nothing else of ours).

Public API (kept stable): `load_models`, `normalize_kp`, `AnimationSession`, plus the config,
checkpoint and keypoint-algebra helpers re-exported below.
"""

from engine.checkpoint import load_checkpoint, save_checkpoint
from engine.config import FommConfig, config_from_dict, config_to_dict, load_config
from engine.cost import live_frame_gflops
from engine.errors import (
    CheckpointError,
    CheckpointMismatchError,
    ConfigError,
    FommError,
    ImageInputError,
    MissingWeightsError,
)
from engine.models import FommModels, build_models, load_models, load_weights, resolve_device
from engine.motion import normalize_kp
from engine.session import AnimationResult, AnimationSession, KeypointFilter, Keypoints, MotionOptions

__all__ = [
    "AnimationResult",
    "AnimationSession",
    "CheckpointError",
    "CheckpointMismatchError",
    "ConfigError",
    "FommConfig",
    "FommError",
    "FommModels",
    "ImageInputError",
    "KeypointFilter",
    "Keypoints",
    "MissingWeightsError",
    "MotionOptions",
    "build_models",
    "config_from_dict",
    "config_to_dict",
    "live_frame_gflops",
    "load_checkpoint",
    "load_config",
    "load_models",
    "load_weights",
    "normalize_kp",
    "resolve_device",
    "save_checkpoint",
]

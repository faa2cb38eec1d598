"""The training config as the Train tab edits it: the presets offered, the numbers a user may change,
their checks, and the edited config written into a new run folder."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.atomic import atomic_write_text
from engine.config import FommConfig, config_to_dict, load_config
from fomm_studio.model_registry import DEFAULT_CONFIG
from fomm_studio.paths import CONFIGS_DIR
from fomm_studio.training.launch import LaunchError
from trainer import run_folder as rf
from trainer.losses import PERCEPTUAL_BACKENDS


@dataclass(frozen=True)
class Preset:
    """A named config file the Train tab offers."""

    name: str
    path: Path
    note: str


PRESETS: tuple[Preset, ...] = (
    Preset("lite-256 (fast, live default)", DEFAULT_CONFIG, "10 keypoints, small networks: trainable on CPU"),
    Preset("vox-256 (original FOMM)", CONFIGS_DIR / "vox-256.yaml", "the paper's faces model; needs a GPU"),
)


@dataclass(frozen=True)
class TrainEdits:
    """The numbers the Train tab lets the user change in a config (frame_shape is shown, not edited)."""

    num_kp: int
    batch_size: int
    num_epochs: int
    lr_generator: float
    lr_kp_detector: float
    lr_discriminator: float
    perceptual_backend: str
    vgg19_weights: str | None
    frame_shape: tuple[int, ...]


def read_edits(config_path: str | Path) -> TrainEdits:
    """The editable numbers of a config file (errors name the file and key)."""
    config = load_config(config_path)
    tp = config.train_params
    return TrainEdits(
        num_kp=config.model_params.common_params.num_kp,
        batch_size=tp.batch_size,
        num_epochs=tp.num_epochs,
        lr_generator=tp.lr_generator,
        lr_kp_detector=tp.lr_kp_detector,
        lr_discriminator=tp.lr_discriminator,
        perceptual_backend=tp.perceptual_backend,
        vgg19_weights=tp.vgg19_weights,
        frame_shape=tuple(config.dataset_params.frame_shape),
    )


def check_edits(edits: TrainEdits) -> None:
    """Reject numbers the trainer cannot use, naming the field."""
    for name in ("num_kp", "batch_size", "num_epochs"):
        if getattr(edits, name) < 1:
            raise LaunchError(f"{name} must be at least 1, got {getattr(edits, name)}")
    for name in ("lr_generator", "lr_kp_detector", "lr_discriminator"):
        if not 0 <= getattr(edits, name) < 1:
            raise LaunchError(f"{name} must be in [0, 1), got {getattr(edits, name)}")
    if edits.perceptual_backend not in PERCEPTUAL_BACKENDS:
        raise LaunchError(
            f"perceptual backend must be one of {', '.join(PERCEPTUAL_BACKENDS)}, got {edits.perceptual_backend!r}"
        )


def apply_edits(config: FommConfig, edits: TrainEdits) -> FommConfig:
    """`config` with the edited numbers (validated) in place."""
    check_edits(edits)
    mp = config.model_params
    common = dataclasses.replace(mp.common_params, num_kp=edits.num_kp)
    tp = dataclasses.replace(
        config.train_params,
        batch_size=edits.batch_size,
        num_epochs=edits.num_epochs,
        lr_generator=edits.lr_generator,
        lr_kp_detector=edits.lr_kp_detector,
        lr_discriminator=edits.lr_discriminator,
        perceptual_backend=edits.perceptual_backend,
        vgg19_weights=edits.vgg19_weights or None,
    )
    return dataclasses.replace(
        config, model_params=dataclasses.replace(mp, common_params=common), train_params=tp
    )


def write_run_config(base_config: str | Path, edits: TrainEdits, run_dir: str | Path) -> Path:
    """Write `base_config` with `edits` applied to `run_dir/config.yaml` (atomically); returns its path.

    The trainer reads this file with --config and rewrites the same content there as "config as used".
    """
    config = apply_edits(load_config(base_config), edits)
    path = Path(run_dir) / rf.CONFIG_NAME
    header = f"# Written by the FOMM Studio Train tab from {Path(base_config).resolve()}\n"
    atomic_write_text(path, header + yaml.safe_dump(config_to_dict(config), sort_keys=False))
    return path


def run_edits(run_dir: str | Path) -> TrainEdits:
    """The editable numbers a run folder's own config holds: what --resume trains with."""
    return read_edits(Path(run_dir) / rf.CONFIG_NAME)

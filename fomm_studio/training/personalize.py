"""Personalize: fine-tune the live model on the user's own recorded clips, in one click.

It is `fomm train` with the live model's config and `--init-from` its checkpoint, on the dataset the
Live tab's "Record training clip" fills, for a short schedule at a lower learning rate. The run's
config is the model's own with every learning rate scaled by `LR_SCALE` and no learning-rate
milestones: a few seconds of clips make epochs of one or two steps, so the epoch milestones that
suit a full dataset would cut the rate a hundredfold within the first few dozen steps.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.atomic import atomic_write_text
from engine.config import FommConfig, config_to_dict, load_config
from fomm_studio.config_catalog import resolve_config_for
from fomm_studio.live.training_clip import clips_folder, recorded_clips
from fomm_studio.training.launch import LaunchError, LaunchRequest, build_command
from trainer import run_folder as rf

PERSONALIZE_STEPS = 300
LR_SCALE = 0.25  # fine-tuning a trained model: a quarter of the rate it was trained with


class NoClipsError(LaunchError):
    """Personalize was asked for before any training clip was recorded."""


@dataclass(frozen=True)
class PersonalizePlan:
    """What a one-click Personalize trains: the live model (config + checkpoint) on `dataset`."""

    model_config: Path | None  # None: detected from the checkpoint's tensors
    model_checkpoint: Path
    dataset: Path
    run_dir: Path
    device: str = "cpu"
    max_steps: int = PERSONALIZE_STEPS
    python: str = sys.executable


def check_clips(dataset: Path) -> list[Path]:
    """The recorded clips; `NoClipsError` naming the folder when there is none yet."""
    clips = recorded_clips(dataset)
    if not clips:
        raise NoClipsError(
            f"{clips_folder(dataset)}: no training clip recorded yet; record one in the Live tab "
            "(Record training clip) first"
        )
    return clips


def personalized_config(config: FommConfig, lr_scale: float = LR_SCALE) -> FommConfig:
    """`config` with its learning rates scaled by `lr_scale` and held constant (no milestones)."""
    tp = config.train_params
    tp = dataclasses.replace(
        tp,
        lr_generator=tp.lr_generator * lr_scale,
        lr_kp_detector=tp.lr_kp_detector * lr_scale,
        lr_discriminator=tp.lr_discriminator * lr_scale,
        epoch_milestones=(),
    )
    return dataclasses.replace(config, train_params=tp)


def prepare_personalize(plan: PersonalizePlan, cuda_count: int) -> LaunchRequest:
    """Check the inputs, write the run's config into the new run folder, and return the training to
    start (`build_command` of it is the command line). Refuses before writing anything."""
    check_clips(plan.dataset)
    if not plan.model_checkpoint.is_file():
        raise LaunchError(f"{plan.model_checkpoint}: the live model's checkpoint not found")
    # a model picked as a checkpoint alone: its packaged config, read off its tensors (a live model is small)
    model_config, _ = resolve_config_for(plan.model_checkpoint, plan.model_config)
    request = LaunchRequest(
        data_dir=plan.dataset,
        run_dir=plan.run_dir,
        config_path=model_config,
        init_from=plan.model_checkpoint,
        device=plan.device,
        max_steps=plan.max_steps,
        python=plan.python,
    )
    build_command(request, cuda_count)  # validates the folders and the model's config file
    config = personalized_config(load_config(model_config))
    path = plan.run_dir / rf.CONFIG_NAME
    header = f"# Personalize: {model_config.resolve()} with learning rates x{LR_SCALE:g}, no milestones\n"
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, header + yaml.safe_dump(config_to_dict(config), sort_keys=False))
    return dataclasses.replace(request, config_path=path)

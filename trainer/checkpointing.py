"""What rank 0 writes to the run folder while training: step checkpoints (atomically, the last three
kept, best.pth.tar refreshed) and sample reconstruction strips."""

from __future__ import annotations

import sys
from typing import cast

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from engine.checkpoint import save_checkpoint
from engine.config import config_to_dict
from trainer import run_folder as rf
from trainer.losses import GeneratorFullModel
from trainer.options import RunInputs
from trainer.png import PngEncodingError, write_png
from trainer.state import Trainables, TrainState, build_entries
from trainer.visualize import sample_strip


class CheckpointSaver:
    """Rank 0 writes step checkpoints (atomically), keeps the last three, and refreshes best.pth.tar."""

    def __init__(self, inputs: RunInputs, trainables: Trainables, scaler: torch.amp.GradScaler | None = None):
        self.folder = inputs.options.run_dir / rf.CHECKPOINT_DIR
        self.trainables = trainables
        self.scaler = scaler
        self.config_dict = config_to_dict(inputs.config)
        self.events = inputs.events
        self.info = inputs.info
        self.extra = {
            "seed": inputs.options.seed,
            "world_size": inputs.info.world_size,
            "perceptual_backend": inputs.config.train_params.perceptual_backend,
        }
        self.last_saved_step = -1

    def save(self, state: TrainState) -> None:
        """Save unless this step is already saved; a failed write is logged and the old files stay."""
        if not self.info.is_main or state.step == self.last_saved_step:
            return
        recent = state.recent_reconstruction
        mean_recent = sum(recent) / len(recent) if recent else None
        is_best = mean_recent is not None and (state.best_loss is None or mean_recent < state.best_loss)
        if is_best:
            state.best_loss = mean_recent
        entries = build_entries(self.trainables, state, self.config_dict, self.extra, self.scaler)
        path = self.folder / rf.checkpoint_name(state.step)
        try:
            save_checkpoint(path, entries)
            if is_best:
                save_checkpoint(self.folder / rf.BEST_NAME, entries)
        except OSError as exc:
            message = f"cannot save checkpoint {path}: {exc}; previous checkpoints kept"
            self.events.write("error", message=message)
            print(f"warning: {message}", file=sys.stderr)  # training goes on; the user must still know
            return
        self.last_saved_step = state.step
        self.events.write(
            "checkpoint",
            path=str(path),
            step=state.step,
            epoch=state.epoch,
            best=is_best,
            reconstruction=mean_recent,
        )
        for old in rf.step_checkpoints(self.folder.parent)[: -rf.KEEP_LAST]:
            old.unlink(missing_ok=True)


def write_sample(inputs: RunInputs, step: int, batch: dict[str, torch.Tensor], gen_step: nn.Module) -> None:
    """Reconstruct the first pair of the batch (eval mode, no grad) and save the strip as PNG."""
    full = cast(
        GeneratorFullModel, gen_step.module if isinstance(gen_step, DistributedDataParallel) else gen_step
    )
    source = batch["source"][:1].to(inputs.info.device)
    driving = batch["driving"][:1].to(inputs.info.device)
    full.eval()
    try:
        with torch.no_grad():
            kp_source = full.kp_detector(source)
            kp_driving = full.kp_detector(driving)
            generated = full.generator(source, kp_source=kp_source, kp_driving=kp_driving)
    finally:
        full.train()
    generated["kp_driving"] = kp_driving["value"]
    path = inputs.options.run_dir / rf.SAMPLE_DIR / rf.sample_name(step)
    try:
        write_png(path, sample_strip(source, driving, generated))
    except (OSError, PngEncodingError) as exc:
        inputs.events.write("error", message=f"cannot write sample {path}: {exc}")
        return
    inputs.events.write("sample", path=str(path), step=step)

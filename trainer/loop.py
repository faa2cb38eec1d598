"""The FOMM training loop, top to bottom.

One process:
    fomm train --config C --data DIR --run-dir R [--max-steps N] [--resume]
    python3 -m trainer.train --config C --data DIR --run-dir R ...
Several (DistributedDataParallel; gloo on CPU, nccl on CUDA; only rank 0 logs and saves):
    torchrun --standalone --nproc_per_node=2 -m trainer.train --config C --data DIR --run-dir R

Each step: kp_detector + generator forward on a (source, driving) pair, the loss terms of
`trainer.losses` summed, one Adam step each (betas 0.5, 0.999; a frozen network is not stepped), then
a discriminator step when the config has a GAN term. With `--amp` on CUDA the networks run in bf16
(fp16 with loss scaling on GPUs without bf16) and the losses in float32 (trainer.precision). The
logged loss terms reach the host together, in one copy per step. Learning rates follow
MultiStepLR(epoch_milestones, gamma 0.1) per epoch.
Sampling and the TPS warps are pure functions of (seed, epoch, position), and the checkpoint holds
models, optimizers, schedulers, counters and RNG states, so `--resume` continues with exactly the
losses of an uninterrupted run. A `STOP` file in the run folder, or SIGTERM, saves and exits cleanly.

The run is put together in `trainer.run_setup`; checkpoints and samples are written by
`trainer.checkpointing`; the options live in `trainer.options`.
"""

from __future__ import annotations

import hashlib
import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from engine.errors import FommError
from trainer import run_folder as rf
from trainer.checkpointing import write_sample
from trainer.distributed import DistInfo, any_rank, init_distributed, losses_to_host, shutdown
from trainer.losses import RECONSTRUCTION_TERM
from trainer.options import RunInputs, StopRequest, TrainOptions
from trainer.precision import autocast, step_optimizers
from trainer.run_setup import (
    TrainingRun,
    build_training_run,
    plan_init_from,
    prepare_dataset,
    prepare_run_dir,
    prepare_vgg,
    resolve_config,
)
from trainer.state import TrainState

RECENT_WINDOW = 50  # steps averaged to pick the best checkpoint
GENERATOR_SIDE = ("generator", "kp_detector")  # the networks the generator loss trains


def train(options: TrainOptions) -> int:
    """Run (or resume) training; returns the process exit code (0 also when stopped by request)."""
    info = init_distributed(options.device)
    try:
        return _train(options, info)
    finally:
        shutdown(info)


def _train(options: TrainOptions, info: DistInfo) -> int:
    config = resolve_config(options)
    vgg = prepare_vgg(config, options)  # a missing weight file fails here, before any work
    prepare_run_dir(options, config, info)
    events = rf.EventLog(options.run_dir / rf.EVENTS_NAME, enabled=info.is_main)
    try:
        events.write(
            "start",
            config=str(options.config_path),
            data=str(options.data),
            resume=options.resume,
            init_from=str(options.init_from) if options.init_from else None,
            world_size=info.world_size,
            device=str(info.device),
            seed=options.seed,
            perceptual_backend=config.train_params.perceptual_backend,
            max_steps=options.max_steps,
        )
        init = plan_init_from(options, config)  # a checkpoint that does not fit fails before the dataset scan
        report = prepare_dataset(options, config, info)
        events.write("dataset", **report.to_dict())
        return run_training(RunInputs(options, config, info, report, vgg, events, init))
    except (FommError, OSError, torch.OutOfMemoryError) as exc:
        events.write("error", message=user_message(exc))
        raise


Batch = dict[str, torch.Tensor]


@dataclass(frozen=True)
class LoopHooks:
    """What one optimisation step and one sample strip are. `fomm train`'s are the defaults;
    `fomm distill` (trainer.distill) brings its own and keeps everything else of the loop."""

    train_step: Callable[[TrainingRun, Batch], dict[str, torch.Tensor]]
    write_sample: Callable[[TrainingRun, Batch], None]
    best_term: str | None = None  # the loss term whose recent mean picks best.pth.tar; None: the config's


def _train_sample(run: TrainingRun, batch: Batch) -> None:
    write_sample(run.inputs, run.state.step, batch, run.gen_step)


def run_training(inputs: RunInputs) -> int:
    """Build the run, then run the step loop with SIGTERM turned into a stop request."""
    run = build_training_run(inputs)
    return run_until_stopped(run, StopRequest(inputs.options.run_dir))


def run_until_stopped(run: TrainingRun, stop: StopRequest, hooks: LoopHooks | None = None) -> int:
    """The step loop with SIGTERM turned into a stop request (on the main thread, where signals can be caught)."""
    if threading.current_thread() is not threading.main_thread():
        return step_loop(run, stop, hooks)
    previous = signal.signal(signal.SIGTERM, stop.on_signal)
    try:
        return step_loop(run, stop, hooks)
    finally:
        signal.signal(signal.SIGTERM, previous)


def step_loop(run: TrainingRun, stop: StopRequest, hooks: LoopHooks | None = None) -> int:
    """Epochs of batches until the step budget is spent or a stop is requested (exit code 0 for both)."""
    hooks = hooks or TRAIN_HOOKS
    options, info, events, state = run.inputs.options, run.inputs.info, run.inputs.events, run.state
    per_epoch = run.sampler.batches_per_epoch()
    total = total_steps(options, run.inputs.config.train_params.num_epochs, per_epoch)
    progress = make_progress(options, info, state.step, total)
    while state.step < total:
        run.sampler.set_epoch(state.epoch, start_batch=state.batch_in_epoch)
        for batch in run.loader:
            losses = logged_step(run, batch, hooks)
            progress.update(1)
            progress.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
            if state.batch_in_epoch >= per_epoch:
                end_epoch(run)
            if info.is_main and (state.step == 1 or state.step % options.sample_every == 0):
                hooks.write_sample(run, batch)
            if any_rank(info, stop.requested()):
                run.saver.save(state)
                events.write("stopped", step=state.step, epoch=state.epoch)
                progress.close()
                return 0
            if state.step % options.checkpoint_every == 0:
                run.saver.save(state)
            if state.step >= total:
                break
    run.saver.save(state)
    events.write("end", step=state.step, epoch=state.epoch)
    progress.close()
    return 0


def logged_step(run: TrainingRun, batch: Batch, hooks: LoopHooks | None = None) -> dict[str, float]:
    """One training step, counted, its loss terms averaged over ranks, checked and logged."""
    hooks = hooks or TRAIN_HOOKS
    state, info = run.state, run.inputs.info
    tick = time.perf_counter()
    terms = hooks.train_step(run, batch)
    state.step += 1
    state.batch_in_epoch += 1
    losses = losses_to_host(info, terms)  # the step's one device-to-host copy
    check_finite(losses, state.step)
    best_term = hooks.best_term or RECONSTRUCTION_TERM[run.inputs.config.train_params.perceptual_backend]
    remember(state, losses.get(best_term))
    run.inputs.events.write(
        "step",
        step=state.step,
        epoch=state.epoch,
        losses=losses,
        lr={k: o.param_groups[0]["lr"] for k, o in run.trainables.optimizers.items()},
        step_time=round(time.perf_counter() - tick, 4),
    )
    return losses


def step_seed(seed: int, step: int) -> int:
    """Seed of the random TPS warp of a step: a pure function, so resuming reproduces it."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{step}".encode()).digest()[:7], "little")


def total_steps(options: TrainOptions, num_epochs: int, per_epoch: int) -> int:
    """Global step count to stop at: --max-steps, else all epochs of the config."""
    return options.max_steps if options.max_steps is not None else num_epochs * per_epoch


def train_step(run: TrainingRun, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """One optimisation step of kp_detector + generator, then of the discriminator. Returns the loss
    terms as detached scalars still on the device: nothing here waits for the device."""
    device, optimizers, scaler = run.inputs.info.device, run.trainables.optimizers, run.scaler
    source = batch["source"].to(device, non_blocking=True)
    driving = batch["driving"].to(device, non_blocking=True)
    disc = run.trainables.models.get("discriminator")
    if disc is not None:
        disc.requires_grad_(False)  # its gradient from the generator loss is discarded anyway
    with autocast(run.amp_dtype, device):
        seed = step_seed(run.inputs.options.seed, run.state.step)
        losses, generated = run.gen_step(source, driving, seed, discriminator=disc)
    total = sum(losses.values(), start=source.new_zeros((), dtype=torch.float32))
    for name in GENERATOR_SIDE:
        optimizers[name].zero_grad(set_to_none=True)
    scaler.scale(total).backward()
    stepped = step_optimizers(scaler, [optimizers[name] for name in GENERATOR_SIDE])
    terms = {k: v.detach() for k, v in losses.items()}
    if disc is not None and run.disc_step is not None:
        disc.requires_grad_(True)
        optimizers["discriminator"].zero_grad(set_to_none=True)
        with autocast(run.amp_dtype, device):
            disc_losses = run.disc_step(
                driving, generated["prediction"].detach(), generated["kp_driving"].detach()
            )
        scaler.scale(sum(disc_losses.values())).backward()
        stepped += step_optimizers(scaler, [optimizers["discriminator"]])
        terms.update({k: v.detach() for k, v in disc_losses.items()})
    if stepped:
        scaler.update()  # (with nothing stepped the scaler has no inf checks to update from)
    terms["total"] = total.detach()
    return terms


TRAIN_HOOKS = LoopHooks(train_step=train_step, write_sample=_train_sample)


def user_message(exc: BaseException) -> str:
    """What the Train tab shows for a failed run: our errors as they are (they name the file and the
    problem), the OS's as 'file: reason', never a Python class name."""
    if isinstance(exc, FommError):
        return str(exc)
    if isinstance(exc, torch.OutOfMemoryError):
        return "out of memory: lower the batch size or the frame size, or train on a GPU"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def check_finite(losses: dict[str, float], step: int) -> None:
    """Stop with a clear error at the first NaN/inf loss instead of training on garbage."""
    bad = [k for k, v in losses.items() if not math.isfinite(v)]
    if bad:
        raise FommError(
            f"loss became non-finite at step {step} ({', '.join(bad)}); lower the learning rate "
            "or resume from an earlier checkpoint"
        )


def remember(state: TrainState, reconstruction: float | None) -> None:
    """Keep the last RECENT_WINDOW reconstruction losses: their mean picks the best checkpoint."""
    if reconstruction is not None:
        state.recent_reconstruction = [*state.recent_reconstruction, reconstruction][-RECENT_WINDOW:]


def end_epoch(run: TrainingRun) -> None:
    """Count the epoch, step the learning-rate schedules, checkpoint every `checkpoint_freq` epochs."""
    state, checkpoint_freq = run.state, run.inputs.config.train_params.checkpoint_freq
    state.epoch += 1
    state.batch_in_epoch = 0
    for scheduler in run.trainables.schedulers.values():
        scheduler.step()
    if checkpoint_freq > 0 and state.epoch % checkpoint_freq == 0:
        run.saver.save(state)


def make_progress(options: TrainOptions, info: DistInfo, initial: int, total: int) -> Any:
    """tqdm bar on stderr for rank 0 (a no-op object elsewhere)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        disable=not (options.progress and info.is_main),
        file=sys.stderr,
        unit="step",
        dynamic_ncols=True,
    )

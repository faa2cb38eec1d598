"""The FOMM training loop, top to bottom.

One process:
    fomm train --config C --data DIR --run-dir R [--max-steps N] [--resume]
    python3 -m trainer.train --config C --data DIR --run-dir R ...
Several (DistributedDataParallel; gloo on CPU, nccl on CUDA; only rank 0 logs and saves):
    torchrun --standalone --nproc_per_node=2 -m trainer.train --config C --data DIR --run-dir R

Each step: kp_detector + generator forward on a (source, driving) pair, the loss terms of
`trainer.losses` summed, one Adam step each (betas 0.5, 0.999), then a discriminator step when the
config has a GAN term. Learning rates follow MultiStepLR(epoch_milestones, gamma 0.1) per epoch.
Sampling and the TPS warps are pure functions of (seed, epoch, position), and the checkpoint holds
models, optimizers, schedulers, counters and RNG states, so `--resume` continues with exactly the
losses of an uninterrupted run. A `STOP` file in the run folder, or SIGTERM, saves and exits cleanly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import signal
import sys
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, cast

import torch
import yaml
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import MultiStepLR
from torch.utils.data import DataLoader

from engine.atomic import atomic_write_text
from engine.checkpoint import save_checkpoint
from engine.config import FommConfig, config_to_dict, load_config
from engine.discriminator import MultiScaleDiscriminator
from engine.errors import CheckpointError, ConfigError, FommError
from engine.generator import OcclusionAwareGenerator
from engine.keypoint_detector import KPDetector
from engine.models import build_models
from trainer import run_folder as rf
from trainer.distributed import DistInfo, any_rank, average_scalars, barrier, init_distributed, shutdown
from trainer.frame_pairs import EpochSampler, PairDataset
from trainer.losses import (
    PERCEPTUAL_BACKENDS,
    RECONSTRUCTION_TERM,
    DiscriminatorFullModel,
    GeneratorFullModel,
)
from trainer.state import Trainables, TrainState, build_entries, restore
from trainer.vgg import Vgg19, load_vgg19, resolve_vgg19_weights
from trainer.video_cache import DatasetReport, scan_dataset
from trainer.visualize import sample_strip, write_png
from trainer.warm_start import InitWeights, apply_warm_start, plan_warm_start, state_shapes

RECENT_WINDOW = 50  # steps averaged to pick the best checkpoint


@dataclass(frozen=True)
class TrainOptions:
    """Command-line choices; `None` means "as in the config"."""

    data: Path
    run_dir: Path
    config_path: Path | None = None
    max_steps: int | None = None
    resume: bool = False
    init_from: Path | None = None
    device: str = "auto"
    batch_size: int | None = None
    num_workers: int = 0
    amp: bool = False
    seed: int = 0
    perceptual_backend: str | None = None
    vgg_weights: str | None = None
    download_vgg: bool = False
    cache_dir: Path | None = None
    sample_every: int = 100
    checkpoint_every: int = 500
    progress: bool = True


class StopRequest:
    """Set by SIGTERM or a STOP file; checked once per step."""

    def __init__(self, run_dir: Path):
        self.stop_file = run_dir / rf.STOP_NAME
        self.signalled = False

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signalled = True

    def requested(self) -> bool:
        return self.signalled or self.stop_file.exists()


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
        return run_training(options, config, info, report, vgg, events, init)
    except (FommError, OSError, torch.OutOfMemoryError) as exc:
        events.write("error", message=f"{type(exc).__name__}: {exc}")
        raise


def resolve_config(options: TrainOptions) -> FommConfig:
    """The config file (or the run's own config.yaml on resume) with command-line overrides applied."""
    path = options.config_path
    if path is None:
        path = options.run_dir / rf.CONFIG_NAME
        if not (options.resume and path.is_file()):
            raise ConfigError(
                "no --config given (it may be left out only with --resume on a run folder "
                f"that has {rf.CONFIG_NAME})"
            )
    config = load_config(path)
    tp = config.train_params
    changes: dict[str, Any] = {}
    if options.batch_size is not None:
        changes["batch_size"] = options.batch_size
    if options.perceptual_backend is not None:
        changes["perceptual_backend"] = options.perceptual_backend
    if options.vgg_weights is not None:
        changes["vgg19_weights"] = options.vgg_weights
    tp = dataclasses.replace(tp, **changes)
    if tp.perceptual_backend not in PERCEPTUAL_BACKENDS:
        raise ConfigError(
            f"{path}: 'train_params.perceptual_backend' must be one of {', '.join(PERCEPTUAL_BACKENDS)}, "
            f"got {tp.perceptual_backend!r}"
        )
    if tp.batch_size < 1:
        raise ConfigError(f"{path}: batch size must be at least 1, got {tp.batch_size}")
    return dataclasses.replace(config, train_params=tp)


def prepare_vgg(config: FommConfig, options: TrainOptions) -> Vgg19 | None:
    """Load VGG-19 for the paper's perceptual loss; None for the weights-free backend."""
    if config.train_params.perceptual_backend != "vgg19" or not any(
        config.train_params.loss_weights.perceptual
    ):
        return None
    return load_vgg19(resolve_vgg19_weights(config.train_params.vgg19_weights, download=options.download_vgg))


def prepare_run_dir(options: TrainOptions, config: FommConfig, info: DistInfo) -> None:
    """Create the run folder, refuse to overwrite another run, clear a stale STOP and the temp files of
    checkpoint writes a kill interrupted, save the config."""
    if info.is_main:
        run_dir = options.run_dir
        has_run = bool(rf.step_checkpoints(run_dir)) or rf.has_step_events(run_dir)
        if has_run and not options.resume:
            raise FommError(
                f"{run_dir}: this run folder already holds a run; pass --resume to continue it "
                "or choose a new --run-dir"
            )
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / rf.STOP_NAME).unlink(missing_ok=True)
        for partial in (run_dir / rf.CHECKPOINT_DIR).glob(".*.tmp"):  # a write killed half-way
            partial.unlink(missing_ok=True)
        text = yaml.safe_dump(config_to_dict(config), sort_keys=False)
        atomic_write_text(run_dir / rf.CONFIG_NAME, text)
    barrier(info)


def prepare_dataset(options: TrainOptions, config: FommConfig, info: DistInfo) -> DatasetReport:
    """Rank 0 decodes the videos into the cache first; the other ranks then read the cache."""
    frame_shape = config.dataset_params.frame_shape
    report: DatasetReport | None = None
    if info.is_main:
        report = scan_dataset(options.data, frame_shape, options.cache_dir, progress=options.progress)
        print(report.summary(), file=sys.stderr)
    barrier(info)
    if report is None:
        report = scan_dataset(options.data, frame_shape, options.cache_dir)
    return report


def build_trainables(config: FommConfig, device: torch.device) -> Trainables:
    """Networks, Adam optimizers (betas 0.5, 0.999) and per-epoch MultiStepLR schedulers."""
    tp = config.train_params
    use_gan = tp.loss_weights.generator_gan != 0
    built = build_models(config, with_discriminator=use_gan, device=device)
    models: dict[str, nn.Module] = {"generator": built.generator, "kp_detector": built.kp_detector}
    lrs = {"generator": tp.lr_generator, "kp_detector": tp.lr_kp_detector}
    if built.discriminator is not None:
        models["discriminator"] = built.discriminator
        lrs["discriminator"] = tp.lr_discriminator
    if tp.lr_kp_detector == 0:
        built.kp_detector.requires_grad_(False)  # frozen detector: same result as Adam with lr 0, cheaper
    optimizers: dict[str, torch.optim.Optimizer] = {
        name: torch.optim.Adam(models[name].parameters(), lr=lr, betas=(0.5, 0.999))
        for name, lr in lrs.items()
    }
    schedulers = {
        name: MultiStepLR(opt, milestones=list(tp.epoch_milestones), gamma=0.1)
        for name, opt in optimizers.items()
    }
    for model in models.values():
        model.train()
    return Trainables(models, optimizers, schedulers)


def resume_state(options: TrainOptions, trainables: Trainables, events: rf.EventLog) -> TrainState:
    """Newest readable checkpoint of the run (falling back to older ones); fresh state if it has none,
    CheckpointError if it has some and none loads."""
    if not options.resume:
        return TrainState()
    problems = []
    for path in reversed(rf.step_checkpoints(options.run_dir)):
        try:
            state, _ = restore(path, trainables)
        except CheckpointError as exc:
            events.write("warning", message=f"cannot resume from {path}: {exc}")
            problems.append(str(exc))
            continue
        events.write("resumed", path=str(path), step=state.step, epoch=state.epoch)
        return state
    if problems:  # starting over would silently overwrite the run the user asked to continue
        raise CheckpointError(f"--resume: no checkpoint of the run can be loaded; the newest: {problems[0]}")
    events.write("warning", message="--resume: no checkpoint in the run folder; starting from scratch")
    return TrainState()


def plan_init_from(options: TrainOptions, config: FommConfig) -> InitWeights | None:
    """The --init-from tensors that fit this config (checked against freshly built networks)."""
    if options.init_from is None or options.resume:
        return None  # a resumed run uses its own checkpoint; checked in apply_init_from
    networks = build_trainables(config, torch.device("cpu")).models  # the networks training will build
    return plan_warm_start(options.init_from, state_shapes(networks))


def apply_init_from(
    options: TrainOptions,
    init: InitWeights | None,
    trainables: Trainables,
    state: TrainState,
    events: rf.EventLog,
    info: DistInfo,
) -> None:
    """Weights of --init-from for a new run; a resumed run keeps its own (the flag is then moot)."""
    if options.init_from is None:
        return
    if state.step > 0:
        events.write(
            "warning",
            message=f"--init-from {options.init_from} ignored: the run resumes from its own checkpoint",
        )
        return
    if init is None:  # --resume on a run without checkpoints starts from scratch: from these weights
        init = plan_warm_start(options.init_from, state_shapes(trainables.models))
    apply_warm_start(init, trainables.models)
    events.write("warm_start", **init.report.to_dict())
    if info.is_main:
        print(init.report.summary(), file=sys.stderr)


def step_seed(seed: int, step: int) -> int:
    """Seed of the random TPS warp of a step: a pure function, so resuming reproduces it."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{step}".encode()).digest()[:7], "little")


def amp_context(enabled: bool, device: torch.device) -> AbstractContextManager[Any]:
    return torch.autocast(device_type="cuda", dtype=torch.float16) if enabled else nullcontext()


@dataclass
class Session:
    """Everything the step loop touches, built once by `build_session`."""

    options: TrainOptions
    config: FommConfig
    info: DistInfo
    trainables: Trainables
    state: TrainState
    gen_step: nn.Module
    disc_step: nn.Module | None
    sampler: EpochSampler
    loader: DataLoader
    scaler: torch.amp.GradScaler
    amp: bool
    saver: CheckpointSaver
    events: rf.EventLog


def build_session(
    options: TrainOptions,
    config: FommConfig,
    info: DistInfo,
    report: DatasetReport,
    vgg: Vgg19 | None,
    events: rf.EventLog,
    init: InitWeights | None = None,
) -> Session:
    """Models, optimizers, (restored) state, DDP wrappers, sampler and loader."""
    torch.manual_seed(options.seed)
    tp = config.train_params
    trainables = build_trainables(config, info.device)
    state = resume_state(options, trainables, events)
    apply_init_from(options, init, trainables, state, events, info)
    amp = options.amp and info.device.type == "cuda"
    if options.amp and not amp:
        events.write("warning", message="--amp needs CUDA; training in float32")
    models = trainables.models
    full = GeneratorFullModel(
        cast(KPDetector, models["kp_detector"]),
        cast(OcclusionAwareGenerator, models["generator"]),
        config,
        tp.perceptual_backend,
        vgg.to(info.device) if vgg is not None else None,
    )
    disc_step = None
    if "discriminator" in models:
        disc_model = DiscriminatorFullModel(cast(MultiScaleDiscriminator, models["discriminator"]), config)
        disc_step = wrap_ddp(disc_model.to(info.device), info)
    dataset = PairDataset(report.train, config)
    sampler = EpochSampler(
        len(dataset), tp.num_repeats, tp.batch_size, options.seed, info.rank, info.world_size
    )
    loader = DataLoader(
        dataset,
        batch_size=tp.batch_size,
        sampler=sampler,
        num_workers=options.num_workers,
        pin_memory=info.device.type == "cuda",
    )
    saver = CheckpointSaver(options.run_dir, trainables, config, events, info, options)
    return Session(
        options,
        config,
        info,
        trainables,
        state,
        wrap_ddp(full.to(info.device), info),
        disc_step,
        sampler,
        loader,
        torch.amp.GradScaler("cuda", enabled=amp),
        amp,
        saver,
        events,
    )


def run_training(
    options: TrainOptions,
    config: FommConfig,
    info: DistInfo,
    report: DatasetReport,
    vgg: Vgg19 | None,
    events: rf.EventLog,
    init: InitWeights | None = None,
) -> int:
    """Build the session, then run the step loop with SIGTERM turned into a stop request."""
    session = build_session(options, config, info, report, vgg, events, init)
    stop = StopRequest(options.run_dir)
    if threading.current_thread() is not threading.main_thread():
        return step_loop(session, stop)  # signals can only be caught on the main thread
    previous = signal.signal(signal.SIGTERM, stop.on_signal)
    try:
        return step_loop(session, stop)
    finally:
        signal.signal(signal.SIGTERM, previous)


def step_loop(s: Session, stop: StopRequest) -> int:
    """Epochs of batches until the step budget is spent or a stop is requested (exit code 0 for both)."""
    tp, state, events = s.config.train_params, s.state, s.events
    total = total_steps(s.options, tp.num_epochs, s.sampler.batches_per_epoch())
    progress = make_progress(s.options, s.info, state.step, total)
    recon_key = RECONSTRUCTION_TERM[tp.perceptual_backend]
    while state.step < total:
        s.sampler.set_epoch(state.epoch, start_batch=state.batch_in_epoch)
        for batch in s.loader:
            tick = time.perf_counter()
            losses = train_step(
                batch, s.gen_step, s.disc_step, s.trainables, state, s.info, s.amp, s.scaler, s.options.seed
            )
            state.step += 1
            state.batch_in_epoch += 1
            losses = average_scalars(s.info, losses)
            check_finite(losses, state.step)
            remember(state, losses.get(recon_key))
            events.write(
                "step",
                step=state.step,
                epoch=state.epoch,
                losses=losses,
                lr={k: o.param_groups[0]["lr"] for k, o in s.trainables.optimizers.items()},
                step_time=round(time.perf_counter() - tick, 4),
            )
            progress.update(1)
            progress.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
            if state.batch_in_epoch >= s.sampler.batches_per_epoch():
                end_epoch(state, s.trainables, s.saver, tp.checkpoint_freq)
            if s.info.is_main and (state.step == 1 or state.step % s.options.sample_every == 0):
                write_sample(s.options.run_dir, state.step, batch, s.gen_step, s.info, events)
            if any_rank(s.info, stop.requested()):
                s.saver.save(state)
                events.write("stopped", step=state.step, epoch=state.epoch)
                progress.close()
                return 0
            if state.step % s.options.checkpoint_every == 0:
                s.saver.save(state)
            if state.step >= total:
                break
    s.saver.save(state)
    events.write("end", step=state.step, epoch=state.epoch)
    progress.close()
    return 0


def wrap_ddp(module: nn.Module, info: DistInfo) -> nn.Module:
    """DDP when several processes train. Every trainable parameter reaches the loss (a frozen detector has
    requires_grad off), so no search for unused parameters is needed."""
    if not info.enabled:
        return module
    ids = [info.device.index] if info.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=False)


def total_steps(options: TrainOptions, num_epochs: int, per_epoch: int) -> int:
    """Global step count to stop at: --max-steps, else all epochs of the config."""
    return options.max_steps if options.max_steps is not None else num_epochs * per_epoch


def train_step(
    batch: dict[str, torch.Tensor],
    gen_step: nn.Module,
    disc_step: nn.Module | None,
    trainables: Trainables,
    state: TrainState,
    info: DistInfo,
    amp: bool,
    scaler: torch.amp.GradScaler,
    seed: int,
) -> dict[str, float]:
    """One optimisation step of kp_detector + generator, then of the discriminator; returns the loss terms."""
    source = batch["source"].to(info.device, non_blocking=True)
    driving = batch["driving"].to(info.device, non_blocking=True)
    disc = trainables.models.get("discriminator")
    if disc is not None:
        disc.requires_grad_(False)  # its gradient from the generator loss is discarded anyway
    with amp_context(amp, info.device):
        losses, generated = gen_step(source, driving, step_seed(seed, state.step), discriminator=disc)
        total = sum(losses.values(), start=source.new_zeros(()))
    for name in ("generator", "kp_detector"):
        trainables.optimizers[name].zero_grad(set_to_none=True)
    scaler.scale(total).backward()
    for name in ("generator", "kp_detector"):
        scaler.step(trainables.optimizers[name])
    values = {k: float(v.detach()) for k, v in losses.items()}
    if disc is not None and disc_step is not None:
        disc.requires_grad_(True)
        trainables.optimizers["discriminator"].zero_grad(set_to_none=True)
        with amp_context(amp, info.device):
            disc_losses = disc_step(
                driving, generated["prediction"].detach(), generated["kp_driving"].detach()
            )
        scaler.scale(sum(disc_losses.values())).backward()
        scaler.step(trainables.optimizers["discriminator"])
        values.update({k: float(v.detach()) for k, v in disc_losses.items()})
    scaler.update()
    values["total"] = float(total.detach())
    return values


def check_finite(losses: dict[str, float], step: int) -> None:
    bad = [k for k, v in losses.items() if not math.isfinite(v)]
    if bad:
        raise FommError(
            f"loss became non-finite at step {step} ({', '.join(bad)}); lower the learning rate "
            "or resume from an earlier checkpoint"
        )


def remember(state: TrainState, reconstruction: float | None) -> None:
    if reconstruction is not None:
        state.recent_reconstruction = [*state.recent_reconstruction, reconstruction][-RECENT_WINDOW:]


def end_epoch(
    state: TrainState, trainables: Trainables, saver: CheckpointSaver, checkpoint_freq: int
) -> None:
    """Count the epoch, step the learning-rate schedules, checkpoint every `checkpoint_freq` epochs."""
    state.epoch += 1
    state.batch_in_epoch = 0
    for scheduler in trainables.schedulers.values():
        scheduler.step()
    if checkpoint_freq > 0 and state.epoch % checkpoint_freq == 0:
        saver.save(state)


def write_sample(
    run_dir: Path,
    step: int,
    batch: dict[str, torch.Tensor],
    gen_step: nn.Module,
    info: DistInfo,
    events: rf.EventLog,
) -> None:
    """Reconstruct the first pair of the batch (eval mode, no grad) and save the strip as PNG."""
    full = cast(
        GeneratorFullModel, gen_step.module if isinstance(gen_step, DistributedDataParallel) else gen_step
    )
    source = batch["source"][:1].to(info.device)
    driving = batch["driving"][:1].to(info.device)
    full.eval()
    try:
        with torch.no_grad():
            kp_source = full.kp_detector(source)
            kp_driving = full.kp_detector(driving)
            generated = full.generator(source, kp_source=kp_source, kp_driving=kp_driving)
    finally:
        full.train()
    generated["kp_driving"] = kp_driving["value"]
    path = run_dir / rf.SAMPLE_DIR / f"step-{step:08d}.png"
    try:
        write_png(path, sample_strip(source, driving, generated))
    except OSError as exc:
        events.write("error", message=f"cannot write sample {path}: {exc}")
        return
    events.write("sample", path=str(path), step=step)


class CheckpointSaver:
    """Rank 0 writes step checkpoints (atomically), keeps the last three, and refreshes best.pth.tar."""

    def __init__(
        self,
        run_dir: Path,
        trainables: Trainables,
        config: FommConfig,
        events: rf.EventLog,
        info: DistInfo,
        options: TrainOptions,
    ):
        self.folder = run_dir / rf.CHECKPOINT_DIR
        self.trainables = trainables
        self.config_dict = config_to_dict(config)
        self.events = events
        self.info = info
        self.extra = {
            "seed": options.seed,
            "world_size": info.world_size,
            "perceptual_backend": config.train_params.perceptual_backend,
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
        entries = build_entries(self.trainables, state, self.config_dict, self.extra)
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

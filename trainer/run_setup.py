"""Everything a run needs before its first step: the resolved config, VGG-19, the run folder, the
dataset, the networks with their optimizers and schedulers, resumed or --init-from weights, the DDP
wrappers, and finally the `TrainingRun` the step loop works on."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from typing import Any, cast

import torch
import yaml
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import MultiStepLR
from torch.utils.data import DataLoader

from engine.atomic import atomic_write_text
from engine.config import FommConfig, config_to_dict, load_config
from engine.discriminator import MultiScaleDiscriminator
from engine.errors import CheckpointError, ConfigError, FommError
from engine.generator import OcclusionAwareGenerator
from engine.keypoint_detector import KPDetector
from engine.models import build_models
from trainer import run_folder as rf
from trainer.checkpointing import CheckpointSaver
from trainer.cpu_threads import loader_workers
from trainer.distributed import DistInfo, barrier
from trainer.frame_pairs import EpochPlan, EpochSampler, PairDataset
from trainer.losses import PERCEPTUAL_BACKENDS, DiscriminatorFullModel, GeneratorFullModel
from trainer.options import RunInputs, TrainOptions
from trainer.precision import autocast_dtype, make_scaler
from trainer.state import Trainables, TrainState, restore
from trainer.vgg import Vgg19, load_vgg19, resolve_vgg19_weights
from trainer.video_cache import DatasetReport, scan_dataset
from trainer.warm_start import InitWeights, apply_warm_start, plan_warm_start, state_shapes


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
        if rf.holds_run(run_dir) and not options.resume:
            raise FommError(
                f"{run_dir}: this run folder already holds a run; pass --resume to continue it "
                "or choose a new --run-dir"
            )
        run_dir.mkdir(parents=True, exist_ok=True)
        rf.clear_leftovers(run_dir)
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


def resume_state(
    options: TrainOptions, trainables: Trainables, events: rf.EventLog, scaler: torch.amp.GradScaler
) -> TrainState:
    """Newest readable checkpoint of the run (falling back to older ones), the loss scaler's state
    included; fresh state if it has none, CheckpointError if it has some and none loads."""
    if not options.resume:
        return TrainState()
    problems = []
    for path in reversed(rf.step_checkpoints(options.run_dir)):
        try:
            state, _ = restore(path, trainables, scaler)
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


def apply_init_from(inputs: RunInputs, trainables: Trainables, state: TrainState) -> None:
    """Weights of --init-from for a new run; a resumed run keeps its own (the flag is then moot)."""
    init_from, events = inputs.options.init_from, inputs.events
    if init_from is None:
        return
    if state.step > 0:
        events.write(
            "warning", message=f"--init-from {init_from} ignored: the run resumes from its own checkpoint"
        )
        return
    init = inputs.init
    if init is None:  # --resume on a run without checkpoints starts from scratch: from these weights
        init = plan_warm_start(init_from, state_shapes(trainables.models))
    apply_warm_start(init, trainables.models)
    events.write("warm_start", **init.report.to_dict())
    if inputs.info.is_main:
        print(init.report.summary(), file=sys.stderr)


def wrap_ddp(module: nn.Module, info: DistInfo) -> nn.Module:
    """DDP when several processes train. Every trainable parameter reaches the loss (a frozen detector has
    requires_grad off), so no search for unused parameters is needed."""
    if not info.enabled:
        return module
    ids = [info.device.index] if info.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=False)


@dataclass
class TrainingRun:
    """Everything the step loop touches, built once by `build_training_run`."""

    inputs: RunInputs
    trainables: Trainables
    state: TrainState
    gen_step: nn.Module  # GeneratorFullModel, DDP-wrapped when distributed
    disc_step: nn.Module | None  # DiscriminatorFullModel likewise; None without a GAN term
    sampler: EpochSampler
    loader: DataLoader
    scaler: torch.amp.GradScaler  # loss scaling of fp16 autocast; disabled (a pass-through) otherwise
    amp_dtype: torch.dtype | None  # the networks' autocast dtype; None: float32
    saver: CheckpointSaver


def build_training_run(inputs: RunInputs) -> TrainingRun:
    """Models, optimizers, (restored) state, DDP wrappers, sampler and loader."""
    options, info = inputs.options, inputs.info
    torch.manual_seed(options.seed)
    trainables = build_trainables(inputs.config, info.device)
    amp_dtype = autocast_dtype(options.amp, info.device)
    if options.amp and amp_dtype is None:
        inputs.events.write("warning", message="--amp needs CUDA; training in float32")
    scaler = make_scaler(amp_dtype)
    state = resume_state(options, trainables, inputs.events, scaler)
    apply_init_from(inputs, trainables, state)
    gen_step, disc_step = build_loss_steps(inputs, trainables)
    sampler, loader = build_loader(inputs)
    return TrainingRun(
        inputs=inputs,
        trainables=trainables,
        state=state,
        gen_step=gen_step,
        disc_step=disc_step,
        sampler=sampler,
        loader=loader,
        scaler=scaler,
        amp_dtype=amp_dtype,
        saver=CheckpointSaver(inputs, trainables, scaler),
    )


def build_loss_steps(inputs: RunInputs, trainables: Trainables) -> tuple[nn.Module, nn.Module | None]:
    """The generator step (networks + loss terms) and the discriminator step, on the device, DDP-wrapped."""
    config, info, models = inputs.config, inputs.info, trainables.models
    full = GeneratorFullModel(
        cast(KPDetector, models["kp_detector"]),
        cast(OcclusionAwareGenerator, models["generator"]),
        config,
        config.train_params.perceptual_backend,
        inputs.vgg.to(info.device) if inputs.vgg is not None else None,
    )
    gen_step = wrap_ddp(full.to(info.device), info)
    if "discriminator" not in models:
        return gen_step, None
    disc_model = DiscriminatorFullModel(cast(MultiScaleDiscriminator, models["discriminator"]), config)
    return gen_step, wrap_ddp(disc_model.to(info.device), info)


def build_loader(inputs: RunInputs) -> tuple[EpochSampler, DataLoader]:
    """This rank's reproducible sampler over the training pairs, and the loader that batches them: with
    the chosen number of worker processes (else `loader_workers` for the device) and, on CUDA, pinned
    batches, so their copy to the GPU can overlap the step."""
    tp, info = inputs.config.train_params, inputs.info
    workers = inputs.options.num_workers
    if workers is None:
        workers = loader_workers(info.device.type, processes=int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    dataset = PairDataset(inputs.report.train, inputs.config)
    plan = EpochPlan(
        len(dataset), tp.num_repeats, tp.batch_size, inputs.options.seed, info.rank, info.world_size
    )
    sampler = EpochSampler(plan)
    loader = DataLoader(
        dataset,
        batch_size=tp.batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=info.device.type == "cuda",
    )
    return sampler, loader

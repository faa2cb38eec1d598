"""A distillation run, top to bottom, on `fomm train`'s machinery (trainer.loop, trainer.run_setup,
trainer.checkpointing): the same run folder, events, checkpoints, STOP file and exact --resume.

Steps: refuse what cannot work (teacher vs its config, student vs the teacher's keypoints, avatars)
before touching the run folder; write the student's config; scan the data; fill or reuse the teacher
cache; build the student (hybrid: the teacher's keypoint detector inside, frozen); the shared step loop
with distillation's step and samples; at the end, the evaluation and the model card.
"""

from __future__ import annotations

import sys
from typing import cast

import numpy as np
import torch
from torch.utils.data import DataLoader

from engine.checkpoint import save_checkpoint
from engine.errors import FommError
from engine.generator import OcclusionAwareGenerator
from engine.imaging import tensor_to_image
from engine.keypoint_detector import KPDetector
from engine.models import FommModels, load_models
from trainer import run_folder as rf
from trainer.checkpointing import CheckpointSaver
from trainer.distill.avatars import load_avatars
from trainer.distill.configs import check_resumed_kind, student_config, teacher_config
from trainer.distill.dataset import CachedPairs
from trainer.distill.evaluate import (
    EVAL_FILE,
    START_NAME,
    evaluate_and_report,
    evaluate_run,
    evaluation_sources,
)
from trainer.distill.objective import PREDICTION_TERM, DistillStep
from trainer.distill.options import DistillOptions
from trainer.distill.teacher_cache import CacheRequest, file_digest, teacher_targets
from trainer.distributed import DistInfo, init_distributed, shutdown
from trainer.frame_pairs import EpochPlan, EpochSampler
from trainer.loop import Batch, LoopHooks, run_until_stopped, total_steps, user_message
from trainer.options import RunInputs, StopRequest
from trainer.png import PngEncodingError, write_png
from trainer.precision import make_scaler
from trainer.run_setup import (
    TrainingRun,
    apply_init_from,
    build_trainables,
    plan_init_from,
    prepare_dataset,
    prepare_run_dir,
    resume_state,
)
from trainer.vgg import Vgg19, load_vgg19, missing_vgg19_weights, resolve_vgg19_weights


def distill(options: DistillOptions) -> int:
    """Run (or resume, or only evaluate) a distillation; returns the exit code (0 also when stopped)."""
    if options.evaluate_only:
        return evaluate_run(options)
    info = init_distributed(options.train.device)
    try:
        return _distill(options, info)
    finally:
        shutdown(info)


def _distill(options: DistillOptions, info: DistInfo) -> int:
    check_resumed_kind(options)  # the refusals come before any work
    teacher_cfg = teacher_config(options)
    config = student_config(options, teacher_cfg)
    avatar_files, avatars = load_avatars(options.avatars, config.frame_size)
    vgg = optional_vgg(options)
    prepare_run_dir(options.train, config, info)
    events = rf.EventLog(options.train.run_dir / rf.EVENTS_NAME, enabled=info.is_main)
    try:
        events.write(
            "start",
            config=str(options.train.config_path),
            teacher=str(options.teacher),
            teacher_config=str(options.teacher_config),
            student_kind=options.student_kind,
            data=str(options.train.data),
            avatars=[str(p) for p in avatar_files],
            resume=options.train.resume,
            init_from=str(options.train.init_from) if options.train.init_from else None,
            device=str(info.device),
            seed=options.train.seed,
            perceptual="vgg19" if vgg is not None else None,
            max_steps=options.train.max_steps,
        )
        init = plan_init_from(options.train, config)
        report = prepare_dataset(options.train, config, info)
        events.write("dataset", **report.to_dict())
        teacher = load_models(options.teacher_config, options.teacher, info.device)
        request = CacheRequest(
            teacher, file_digest(options.teacher), report.train, avatars,
            [str(p) for p in avatar_files], options.max_pairs, options.train.seed,
        )  # fmt: skip
        arrays, how = teacher_targets(options.train.run_dir, request)
        events.write("teacher_cache", status=how.split(" ")[0], detail=how, pairs=len(arrays["item_frame"]))
        print(f"teacher cache: {how}, {len(arrays['item_frame'])} pairs", file=sys.stderr)
        inputs = RunInputs(options.train, config, info, report, vgg, events, init)
        run = build_distill_run(inputs, options, teacher, arrays)
        run_until_stopped(run, StopRequest(options.train.run_dir), DISTILL_HOOKS)
        if run.state.step >= total_steps(
            options.train, config.train_params.num_epochs, run.sampler.batches_per_epoch()
        ):
            finish(run, options, teacher, evaluation_sources(report, avatars, options.eval_sources))
        return 0
    except (FommError, OSError, torch.OutOfMemoryError) as exc:
        events.write("error", message=user_message(exc))
        raise


def optional_vgg(options: DistillOptions) -> Vgg19 | None:
    """VGG-19 for the perceptual term when its weights are found (or downloaded on request); else None."""
    explicit = options.train.vgg_weights
    if missing_vgg19_weights(explicit) is None or options.train.download_vgg:
        return load_vgg19(resolve_vgg19_weights(explicit, download=options.train.download_vgg))
    return None


def build_distill_run(
    inputs: RunInputs, options: DistillOptions, teacher: FommModels, arrays: dict[str, np.ndarray]
) -> TrainingRun:
    """The student's networks and optimizers, restored or initialised, the step module and the loader."""
    train, info, config = inputs.options, inputs.info, inputs.config
    torch.manual_seed(train.seed)
    trainables = build_trainables(config, info.device)
    scaler = make_scaler(None)
    state = resume_state(train, trainables, inputs.events, scaler)
    apply_init_from(inputs, trainables, state)
    models = trainables.models
    if state.step == 0:
        if options.student_kind == "hybrid":
            models["kp_detector"].load_state_dict(teacher.kp_detector.state_dict(), strict=True)
        if info.is_main:
            entries = {name: models[name].state_dict() for name in ("generator", "kp_detector")}
            save_checkpoint(train.run_dir / rf.CHECKPOINT_DIR / START_NAME, {**entries, "epoch": 0})
    step = DistillStep(
        cast(KPDetector, models["kp_detector"]),
        cast(OcclusionAwareGenerator, models["generator"]),
        config,
        options.student_kind,
        inputs.vgg.to(info.device) if inputs.vgg is not None else None,
    ).to(info.device)
    dataset = CachedPairs(arrays)
    tp = config.train_params
    sampler = EpochSampler(EpochPlan(len(dataset), tp.num_repeats, tp.batch_size, train.seed))
    loader = DataLoader(dataset, batch_size=tp.batch_size, sampler=sampler, num_workers=0)
    return TrainingRun(
        inputs=inputs,
        trainables=trainables,
        state=state,
        gen_step=step,
        disc_step=None,
        sampler=sampler,
        loader=loader,
        scaler=scaler,
        amp_dtype=None,
        saver=CheckpointSaver(inputs, trainables, scaler),
    )


def distill_step(run: TrainingRun, batch: Batch) -> dict[str, torch.Tensor]:
    """One Adam step of the student on the distillation terms; a frozen detector gets no gradient."""
    device = run.inputs.info.device
    batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    losses, _ = run.gen_step(batch)
    total = sum(losses.values(), start=batch["source"].new_zeros(()))
    optimizers = list(run.trainables.optimizers.values())
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    total.backward()
    for optimizer in optimizers:
        optimizer.step()
    terms = {k: v.detach() for k, v in losses.items()}
    terms["total"] = total.detach()
    return terms


def distill_sample(run: TrainingRun, batch: Batch) -> None:
    """source | driving | teacher | student | student's occlusion map, for the first pair of the batch."""
    step = cast(DistillStep, run.gen_step)
    first = {k: v[:1].to(run.inputs.info.device) for k, v in batch.items()}
    step.eval()
    try:
        with torch.no_grad():
            _, out = step(first)
    finally:
        step.train()
    panels = [tensor_to_image(first[k]) for k in ("source", "driving", "prediction")]
    panels.append(tensor_to_image(out["prediction"]))
    if "occlusion_map" in out:
        occlusion = torch.nn.functional.interpolate(out["occlusion_map"], size=first["source"].shape[2:])
        panels.append(tensor_to_image(occlusion.repeat(1, 3, 1, 1)))
    path = run.inputs.options.run_dir / rf.SAMPLE_DIR / rf.sample_name(run.state.step)
    try:
        write_png(path, np.concatenate(panels, axis=1))
    except (OSError, PngEncodingError) as exc:
        run.inputs.events.write("error", message=f"cannot write sample {path}: {exc}")
        return
    run.inputs.events.write("sample", path=str(path), step=run.state.step)


DISTILL_HOOKS = LoopHooks(train_step=distill_step, write_sample=distill_sample, best_term=PREDICTION_TERM)


def finish(run: TrainingRun, options: DistillOptions, teacher: FommModels, sources: list[np.ndarray]) -> None:
    """The evaluation on held-out videos and the model card; a dataset without held-out videos gets
    a warning instead (the run itself succeeded)."""
    try:
        evaluate_and_report(options, teacher, run.inputs.report, sources)
    except FommError as exc:
        run.inputs.events.write("warning", message=f"no evaluation: {exc}")
        print(f"warning: no evaluation: {exc}", file=sys.stderr)
        return
    run.inputs.events.write("evaluation", path=str(options.train.run_dir / EVAL_FILE))

"""How close the student came to its teacher, and how much faster it is: held-out frames (the data's
test split, never trained on) animated in the live setting from a few sources (avatars, else frames of
training videos) by teacher, student and the model the run started from; L1 and PSNR against the
teacher's frames; one live frame's time of each. Written as R/evaluation.json and R/MODEL_CARD.md,
printed as a line of text and one JSON line.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.atomic import atomic_write_text
from engine.config import load_config
from engine.cost import live_frame_gflops
from engine.errors import FommError
from engine.generator import SourceCache
from engine.models import FommModels, load_models
from engine.motion import KeypointDict, transfer_keypoints
from trainer import run_folder as rf
from trainer.distill.avatars import load_avatars
from trainer.distill.model_card import model_card
from trainer.distill.options import DistillOptions
from trainer.distill.pairs import spread
from trainer.distill.teacher_cache import LIVE_MOTION, frames_to_tensor
from trainer.video_cache import DatasetReport, VideoEntry, scan_dataset

EVAL_FILE = "evaluation.json"
CARD_FILE = "MODEL_CARD.md"
# The student before its first step (in checkpoints/), the evaluation's baseline; not *.pth.tar, so the
# model picker, which offers every *.pth.tar of a run folder, does not list an untrained model.
START_NAME = "start.pth"
TIMED_FRAMES = 5


def evaluation_sources(report: DatasetReport, avatars: np.ndarray | None, count: int) -> list[np.ndarray]:
    """The sources the evaluation animates, each scored and the scores averaged (one picture alone
    makes the figure swing with how well its colours happened to be learnt): the first `count`
    avatars, else the middle frames of `count` training videos spread over the list.
    Shapes: -> [(H, W, 3) uint8]."""
    if avatars is not None:
        return [np.asarray(a) for a in avatars[:count]]
    videos = report.train
    clips = [np.load(videos[i].cache, mmap_mode="r") for i in spread(len(videos), count)]
    return [np.asarray(clip[clip.shape[0] // 2]) for clip in clips]


def mean_fidelity(
    models: FommModels,
    sources: list[np.ndarray],
    held_out: list[tuple[np.ndarray, np.ndarray]],
    targets: list[torch.Tensor],
) -> tuple[float, float]:
    """(L1, PSNR) of `models` against the teacher's frames `targets` (one per source), averaged."""
    scores = [
        fidelity(live_predictions(models, source, held_out), target)
        for source, target in zip(sources, targets, strict=True)
    ]
    return float(np.mean([l1 for l1, _ in scores])), float(np.mean([psnr for _, psnr in scores]))


def held_out_frames(videos: list[VideoEntry], count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(calibration frame (H, W, 3), driving frames (n, H, W, 3)) per held-out video, `count` frames
    in all spread evenly over the videos' frames."""
    if not videos:
        raise FommError("no held-out videos to evaluate on: give the data a test/ folder")
    clips = [np.load(v.cache, mmap_mode="r") for v in videos]
    items = [(v, t) for v, clip in enumerate(clips) for t in range(clip.shape[0])]
    keep = spread(len(items), count)
    out = []
    for v, clip in enumerate(clips):
        chosen = [items[i][1] for i in keep if items[i][0] == v]
        if chosen:
            out.append((np.asarray(clip[0]), np.asarray(clip[chosen])))
    return out


def live_keypoints(
    models: FommModels, kp_source: KeypointDict, kp_initial: KeypointDict, driving: torch.Tensor
) -> tuple[KeypointDict, KeypointDict]:
    """What drives the generator live for N driving frames: (the source's keypoints, the driving
    keypoints moved relative to the calibration frame's), both for N. `kp_source` and `kp_initial`
    are of one frame each. Shapes: driving (N, 3, H, W)."""
    n = driving.shape[0]
    source = {k: v.expand(n, *v.shape[1:]) for k, v in kp_source.items()}
    initial = {k: v.expand(n, *v.shape[1:]) for k, v in kp_initial.items()}
    return source, transfer_keypoints(source, models.kp_detector(driving), initial, LIVE_MOTION)


@torch.inference_mode()
def live_predictions(
    models: FommModels,
    source: np.ndarray,
    held_out: list[tuple[np.ndarray, np.ndarray]],
    output: str = "prediction",
) -> torch.Tensor:
    """Every held-out frame animated from `source`, motion relative to its video's first frame.
    `output` names the generator's output returned (e.g. "deformation", to compare motion).
    Shapes: -> (N, 3, H, W) in [0, 1] for the prediction, else the output's own (N, ...)."""
    device = models.device
    src = frames_to_tensor(source[None], device)
    kp_source = models.kp_detector(src)
    out = []
    for initial, frames in held_out:
        kp_initial = models.kp_detector(frames_to_tensor(initial[None], device))
        for start in range(0, len(frames), 8):
            driving = frames_to_tensor(frames[start : start + 8], device)
            expand, kp_norm = live_keypoints(models, kp_source, kp_initial, driving)
            generated = models.generator(
                src.expand(driving.shape[0], -1, -1, -1),
                kp_driving=kp_norm,
                kp_source=expand,
                with_deformed=False,
            )
            value = generated[output]
            out.append((value.clamp(0, 1) if output == "prediction" else value).float().cpu())
    return torch.cat(out)


def fidelity(prediction: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """(mean L1, mean per-frame PSNR in dB) on [0, 1] pixels. Shapes: (N, 3, H, W) x 2."""
    l1 = float((prediction - target).abs().mean())
    mse = (prediction - target).pow(2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
    return l1, float((10 * torch.log10(1.0 / mse)).mean())


@torch.inference_mode()
def live_frame_ms(models: FommModels, source: np.ndarray, driving: np.ndarray) -> float:
    """Median ms of one live frame (keypoints of the driving frame, relative motion, dense motion and
    decoder; the source encoded once), over TIMED_FRAMES frames after two warm-up frames."""
    device = models.device
    src, drv = frames_to_tensor(source[None], device), frames_to_tensor(driving[None], device)
    kp_source = models.kp_detector(src)
    kp_initial = models.kp_detector(drv)
    dense = models.generator.dense_motion_network
    cache = SourceCache(
        models.generator.encode_source(src), dense.downsample(src) if dense is not None else None
    )
    times = []
    for i in range(TIMED_FRAMES + 2):
        tick = time.perf_counter()
        kp_norm = transfer_keypoints(kp_source, models.kp_detector(drv), kp_initial, LIVE_MOTION)
        models.generator(src, kp_driving=kp_norm, kp_source=kp_source, cache=cache, with_deformed=False)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= 2:
            times.append((time.perf_counter() - tick) * 1000)
    return statistics.median(times)


def newest_checkpoint(run_dir: Path) -> Path:
    """The run's newest step checkpoint: the student as it is now."""
    checkpoints = rf.step_checkpoints(run_dir)
    if not checkpoints:
        raise FommError(f"{run_dir}: no checkpoint to evaluate (the run has not saved a step yet)")
    return checkpoints[-1]


def evaluate_and_report(
    options: DistillOptions, teacher: FommModels, report: DatasetReport, sources: list[np.ndarray]
) -> dict[str, Any]:
    """Evaluate the run folder's newest student (loaded as any model is) against the teacher; write
    evaluation.json and MODEL_CARD.md; print a line of text and the JSON line."""
    run_dir = options.train.run_dir
    held_out = held_out_frames(report.test, options.eval_frames)
    config_path, checkpoint = run_dir / rf.CONFIG_NAME, newest_checkpoint(run_dir)
    student = load_models(config_path, checkpoint, teacher.device)
    targets = [live_predictions(teacher.eval(), source, held_out) for source in sources]
    result: dict[str, Any] = {}
    result["student_vs_teacher_l1"], result["student_vs_teacher_psnr"] = mean_fidelity(
        student, sources, held_out, targets
    )
    start_path = run_dir / rf.CHECKPOINT_DIR / START_NAME
    if start_path.is_file():
        start = load_models(config_path, start_path, teacher.device)
        result["start_vs_teacher_l1"], result["start_vs_teacher_psnr"] = mean_fidelity(
            start, sources, held_out, targets
        )
    result["student_ms"] = live_frame_ms(student, sources[0], held_out[0][1][-1])
    result["teacher_ms"] = live_frame_ms(teacher, sources[0], held_out[0][1][-1])
    result["student_gflop"] = live_frame_gflops(student.config)
    result["teacher_gflop"] = live_frame_gflops(teacher.config)
    result["frames"] = sum(len(frames) for _, frames in held_out)
    result["sources"] = len(sources)
    result["held_out_videos"] = [v.name for v in report.test]
    result["checkpoint"] = str(checkpoint)
    result = {k: round(v, 5) if isinstance(v, float) and math.isfinite(v) else v for k, v in result.items()}
    atomic_write_text(run_dir / EVAL_FILE, json.dumps(result, indent=1) + "\n")
    atomic_write_text(run_dir / CARD_FILE, model_card(options, result, report, checkpoint))
    print(text_line(result))
    print(json.dumps(result))
    return result


def text_line(result: dict[str, Any]) -> str:
    """The evaluation in one sentence."""
    start = result.get("start_vs_teacher_l1")
    began = f" (the start model: {start:.4f})" if start is not None else ""
    return (
        f"held-out {result['frames']} frames: student vs teacher L1 {result['student_vs_teacher_l1']:.4f}"
        f"{began}, PSNR {result['student_vs_teacher_psnr']:.2f} dB; live frame {result['student_ms']:.1f} ms "
        f"vs the teacher's {result['teacher_ms']:.1f} ms"
    )


def evaluate_run(options: DistillOptions) -> int:
    """`--evaluate-only`: evaluate a run folder's newest checkpoint again (the teacher reloaded)."""
    from engine.models import resolve_device

    config_path = options.train.run_dir / rf.CONFIG_NAME
    if not config_path.is_file():
        raise FommError(f"{options.train.run_dir}: not a distillation run folder (no {rf.CONFIG_NAME})")
    config = load_config(config_path)
    teacher = load_models(options.teacher_config, options.teacher, resolve_device(options.train.device))
    report = scan_dataset(options.train.data, config.dataset_params.frame_shape, options.train.cache_dir)
    _, avatars = load_avatars(options.avatars, config.frame_size)
    evaluate_and_report(options, teacher, report, evaluation_sources(report, avatars, options.eval_sources))
    return 0

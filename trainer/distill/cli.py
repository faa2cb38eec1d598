"""Arguments of `python3 -m trainer.distill` and `fomm distill` (the same; fomm also detects a
missing --teacher-config from the checkpoint), and the trainer entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.errors import FommError
from trainer.distill.options import DEFAULT_STUDENT_KIND, DISTILL_LR, STUDENT_KINDS, DistillOptions
from trainer.options import TrainOptions


def add_distill_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by `fomm distill` and `python3 -m trainer.distill`."""
    add = parser.add_argument
    add("--teacher-config", type=Path, help="the teacher's FOMM YAML config (fomm distill can detect it)")
    add("--teacher", type=Path, required=True, help="the teacher checkpoint (original .pth.tar layout)")
    add("--student-config", type=Path, help="the student's config (optional with --resume: the run's own)")
    add(
        "--student-kind",
        choices=STUDENT_KINDS,
        default=DEFAULT_STUDENT_KIND,
        help="hybrid: keep the teacher's keypoint detector (frozen); full: the student's own (default "
        f"{DEFAULT_STUDENT_KIND})",
    )
    add("--init-from", type=Path, help="start the student from this checkpoint (every tensor that fits)")
    add("--data", type=Path, required=True, help="driving videos: train/ and test/, or a flat folder")
    add("--avatars", type=Path, nargs="+", default=[], help="source images, or folders of them")
    add("--run-dir", type=Path, required=True, help="run folder for config, events, cache, checkpoints")
    add("--max-steps", type=int, help="stop after this many steps in all (default: the config's epochs)")
    add("--resume", action="store_true", help="continue from the run folder's newest checkpoint")
    add("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    add("--seed", type=int, default=0, help="seed of pair choice, sampling and initialisation")
    add("--batch-size", type=int, help="override the student's train_params.batch_size")
    add(
        "--lr",
        type=float,
        default=DISTILL_LR,
        help=f"the student's learning rate (default {DISTILL_LR:g}, 5x self-supervised training's: "
        "distillation regresses fixed targets)",
    )
    add("--max-pairs", type=int, default=1000, help="teacher outputs cached (default 1000)")
    add("--eval-frames", type=int, default=32, help="held-out frames the evaluation compares (default 32)")
    add(
        "--eval-sources",
        type=int,
        default=4,
        help="sources the evaluation animates them from, scores averaged (default 4: avatars, else "
        "frames of training videos)",
    )
    add("--evaluate-only", action="store_true", help="only (re)run the evaluation of the run folder")
    add("--vgg-weights", help="path of vgg19-dcbb9e9d.pth (the perceptual term is used when it is found)")
    add("--download-vgg", action="store_true", help="download the VGG-19 weights when missing")
    add("--cache-dir", type=Path, help="decoded-frame cache (default ~/.cache/fomm_studio/frames)")
    add("--sample-every", type=int, default=100, help="write a sample PNG every N steps")
    add("--checkpoint-every", type=int, default=500, help="checkpoint every N steps")
    add("--no-progress", action="store_true", help="no progress bar")


def options_from_args(args: argparse.Namespace) -> DistillOptions:
    """Parsed arguments -> DistillOptions (validated: one line per problem)."""
    for name in (
        "max_steps",
        "batch_size",
        "sample_every",
        "checkpoint_every",
        "max_pairs",
        "eval_frames",
        "eval_sources",
    ):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise FommError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if not args.lr > 0:
        raise FommError(f"--lr must be positive, got {args.lr:g}")
    if args.teacher_config is None:
        raise FommError("--teacher-config is required (`fomm distill` detects it from the checkpoint)")
    for flag, path in (("--teacher", args.teacher), ("--init-from", args.init_from)):
        if path is not None and not path.is_file():
            raise FommError(f"{flag}: no checkpoint file at {path}")
    if args.student_config is None and not (args.resume or args.evaluate_only):
        raise FommError("--student-config is required (it may be left out only with --resume)")
    train = TrainOptions(
        data=args.data,
        run_dir=args.run_dir,
        config_path=args.student_config,
        max_steps=args.max_steps,
        resume=args.resume,
        init_from=args.init_from,
        device=args.device,
        batch_size=args.batch_size,
        num_workers=0,  # batches are slices of the in-folder cache: no decoding to overlap
        seed=args.seed,
        perceptual_backend="pyramid_l1_ssim",  # the VGG term is added on top when its weights exist
        vgg_weights=args.vgg_weights,
        download_vgg=args.download_vgg,
        cache_dir=args.cache_dir,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        progress=not args.no_progress,
    )
    return DistillOptions(
        train=train,
        teacher=args.teacher,
        teacher_config=args.teacher_config,
        student_kind=args.student_kind,
        avatars=tuple(args.avatars),
        max_pairs=args.max_pairs,
        eval_frames=args.eval_frames,
        eval_sources=args.eval_sources,
        evaluate_only=args.evaluate_only,
        lr=args.lr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python3 -m trainer.distill`: distil (or --evaluate-only), errors as one line, exit code 2."""
    from trainer.distill.run import distill

    parser = argparse.ArgumentParser(
        prog="python3 -m trainer.distill", description="Distil a FOMM teacher into a cheaper student."
    )
    add_distill_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return distill(options_from_args(args))
    except (FommError, OSError) as exc:
        print(f"distill: error: {exc}", file=sys.stderr)
        return 2

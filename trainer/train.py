"""Entry point of a training process: `python3 -m trainer.train ...` (also what torchrun starts).

    torchrun --standalone --nproc_per_node=2 -m trainer.train --config C --data DIR --run-dir R --max-steps 1000

`fomm train` uses the same arguments (`add_train_arguments`, `options_from_args`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.errors import FommError
from trainer.loop import train
from trainer.losses import PERCEPTUAL_BACKENDS
from trainer.options import TrainOptions

CONFIG_HELP = "FOMM YAML config (optional with --resume: the run's own)"


def add_train_arguments(parser: argparse.ArgumentParser, config_help: str = CONFIG_HELP) -> None:
    """The training options shared by `fomm train` and `python3 -m trainer.train`."""
    parser.add_argument("--config", type=Path, help=config_help)
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="dataset folder: train/ and test/ subfolders, or a flat folder of videos",
    )
    parser.add_argument(
        "--run-dir", type=Path, required=True, help="run folder for config, events, checkpoints"
    )
    parser.add_argument(
        "--max-steps", type=int, help="stop after this many steps in all (default: all epochs)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the run folder's newest checkpoint"
    )
    parser.add_argument(
        "--init-from",
        type=Path,
        help="start a new run from this checkpoint's weights (every tensor that fits the config)",
    )
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    parser.add_argument("--batch-size", type=int, help="override train_params.batch_size (per process)")
    parser.add_argument(
        "--num-workers",
        type=int,
        help="DataLoader worker processes (default: min(4, cores - 1) per process on CUDA, 0 on the CPU)",
    )
    parser.add_argument(
        "--amp",
        action="store_true",
        help="mixed precision on CUDA: bf16 where the GPU supports it, else fp16 with loss scaling; "
        "losses stay float32",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of sampling, augmentation and warps")
    parser.add_argument(
        "--perceptual-backend",
        choices=PERCEPTUAL_BACKENDS,
        help="vgg19 (the paper; needs the weight file) or pyramid_l1_ssim (weights-free)",
    )
    parser.add_argument("--vgg-weights", help="path of vgg19-dcbb9e9d.pth (torchvision layout)")
    parser.add_argument(
        "--download-vgg",
        action="store_true",
        help="download the VGG-19 weights from download.pytorch.org when missing",
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="decoded-frame cache (default ~/.cache/fomm_studio/frames)"
    )
    parser.add_argument("--sample-every", type=int, default=100, help="write a sample PNG every N steps")
    parser.add_argument("--checkpoint-every", type=int, default=500, help="checkpoint every N steps")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def options_from_args(args: argparse.Namespace) -> TrainOptions:
    """Parsed arguments -> TrainOptions (validated)."""
    for name in ("max_steps", "batch_size", "sample_every", "checkpoint_every"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise FommError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.num_workers is not None and args.num_workers < 0:
        raise FommError(f"--num-workers must be 0 or more, got {args.num_workers}")
    if args.init_from is not None and not args.init_from.is_file():
        raise FommError(f"--init-from: no checkpoint file at {args.init_from}")
    return TrainOptions(
        data=args.data,
        run_dir=args.run_dir,
        config_path=args.config,
        max_steps=args.max_steps,
        resume=args.resume,
        init_from=args.init_from,
        device=args.device,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        amp=args.amp,
        seed=args.seed,
        perceptual_backend=args.perceptual_backend,
        vgg_weights=args.vgg_weights,
        download_vgg=args.download_vgg,
        cache_dir=args.cache_dir,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        progress=not args.no_progress,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m trainer.train` (and each torchrun rank): train, errors as one line, exit code 2."""
    parser = argparse.ArgumentParser(prog="python3 -m trainer.train", description="Train a FOMM model.")
    add_train_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return train(options_from_args(args))
    except (FommError, OSError) as exc:
        print(f"train: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""`fomm synth`: write a reproducible synthetic talking-head dataset (train/ and test/ videos)."""

from __future__ import annotations

import argparse
import sys
import time

from trainer.synthetic import SynthOptions, generate_dataset


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="generate a synthetic talking-head training set",
        description="Render synthetic talking-head videos (cartoon and public-domain photo faces that "
        "move, blink and talk) into DIR/train and DIR/test, plus DIR/README.md with licenses.",
    )
    parser.add_argument("--out", required=True, help="dataset folder to create")
    parser.add_argument("--videos", type=int, default=200, help="number of videos in total (default 200)")
    parser.add_argument("--frames", type=int, default=100, help="frames per video (default 100)")
    parser.add_argument("--size", type=int, default=256, help="frame side in pixels (default 256)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    parser.add_argument("--fps", type=int, default=25, help="frame rate written into the videos (default 25)")
    parser.add_argument("--test-videos", type=int, default=None, help="videos in test/ (default: about 10%%)")
    parser.add_argument(
        "--format", choices=("mp4", "png"), default="mp4", help="mp4 files (default) or folders of PNG frames"
    )
    parser.add_argument(
        "--motion",
        type=float,
        default=1.0,
        help="how far heads move, times the default (rotation 20 deg, shift 8%%, scale 15%%; 0..3, default 1)",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes rendering in parallel (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing train/ and test/")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = SynthOptions(
        videos=args.videos,
        frames=args.frames,
        size=args.size,
        seed=args.seed,
        fps=args.fps,
        test_videos=args.test_videos,
        format=args.format,
        motion=args.motion,
    )
    start = time.perf_counter()

    def progress(done: int, total: int, name: str) -> None:
        if not args.quiet:
            print(f"[{done}/{total}] {name}", file=sys.stderr, flush=True)

    written = generate_dataset(
        args.out, options, overwrite=args.overwrite, workers=max(1, args.workers), progress=progress
    )
    elapsed = time.perf_counter() - start
    print(
        f"wrote {len(written)} videos ({options.videos - options.num_test} train, {options.num_test} test) "
        f"and README.md to {args.out} in {elapsed:.1f} s"
    )
    return 0

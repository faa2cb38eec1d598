"""`fomm distill`: distil a FOMM teacher checkpoint into a cheaper student (see trainer.distill).

The same arguments as `python3 -m trainer.distill`, except that --teacher-config may be left out when
the teacher is one of the packaged configs' structures (detected from the checkpoint, as `fomm animate`
does). `--evaluate` (re)runs only the evaluation of a run folder. `--prepare-faces DIR` first crops
each video of --data to the tracked face, as `fomm train --prepare-faces` does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainer.distill.cli import add_distill_arguments, options_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "distill",
        help="distil a big FOMM checkpoint into a live-speed student",
        description="Teach a cheaper student (e.g. the lite-256 config) to reproduce a teacher checkpoint "
        "(e.g. vox-256) in the live setting. Writes config.yaml, events.jsonl, teacher_cache/, samples/, "
        "checkpoints/, evaluation.json and MODEL_CARD.md to --run-dir; the checkpoints load like any model. "
        "Create a file named STOP there to save and stop; --resume continues.",
    )
    add_distill_arguments(parser)
    parser.add_argument("--evaluate", action="store_true", help="same as --evaluate-only")
    parser.add_argument(
        "--prepare-faces",
        type=Path,
        metavar="DIR",
        help="first crop each video to the tracked face into DIR, then distil on DIR",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fomm_studio.config_catalog import resolve_config_for
    from trainer.distill.run import distill

    args.evaluate_only = args.evaluate_only or args.evaluate
    args.teacher_config, message = resolve_config_for(args.teacher, args.teacher_config)
    if message:
        print(f"teacher {message}", file=sys.stderr)
    options = options_from_args(args)
    if args.prepare_faces is not None:
        from engine.config import load_config
        from fomm_studio.commands.train import prepare_faces

        size = load_config(args.teacher_config).frame_size  # the student must match it anyway
        args.data = prepare_faces(args.data, args.prepare_faces, size)
        options = options_from_args(args)
    return distill(options)

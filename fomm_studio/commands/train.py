"""`fomm train`: train or resume a FOMM model into a run folder (see trainer.loop)."""

from __future__ import annotations

import argparse

from trainer.train import add_train_arguments, options_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a FOMM model on a folder of videos",
        description="Train (or --resume) a FOMM model. Writes config.yaml, events.jsonl, samples/ and "
        "checkpoints/ to --run-dir. Create a file named STOP there to save and stop. "
        "Several processes: torchrun --standalone --nproc_per_node=N -m trainer.train <same arguments>.",
    )
    add_train_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trainer.loop import train

    return train(options_from_args(args))

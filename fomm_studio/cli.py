"""`fomm` command line: dispatches to one module per sub-command and turns user errors into one line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from engine.errors import FommError

# Sub-command modules under fomm_studio.commands; each defines register(subparsers).
COMMAND_MODULES: tuple[str, ...] = ("animate", "train", "distill", "reconstruct", "synth", "bench")


def build_parser() -> argparse.ArgumentParser:
    """`fomm` with one sub-parser per module of fomm_studio.commands."""
    parser = argparse.ArgumentParser(prog="fomm", description="First Order Motion Model tools.")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        # No try: a sub-command that cannot be imported is a bug to see, not a command to drop quietly.
        importlib.import_module(f"fomm_studio.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; a user error is one line on stderr and exit code 2 (--debug: traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("fomm: interrupted", file=sys.stderr)
        return 130
    except (FommError, OSError) as exc:
        if args.debug:
            raise
        print(f"fomm {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

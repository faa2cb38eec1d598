"""Command-line options shared by several `fomm` sub-commands: `--backend` (`animate`, `reconstruct`)."""

from __future__ import annotations

import argparse
import sys

from engine.backends.base import BACKEND_REQUESTS


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=BACKEND_REQUESTS,
        default="auto",
        help="inference backend of the per-frame work: torch, openvino (exported once and cached, CPU "
        "only) or auto (default: the fastest that matches torch within 40 dB PSNR on a few test frames)",
    )


def report_backend(line: str) -> None:
    """Which backend runs the frames, and why: one line on stderr (stdout may be parsed)."""
    print(line, file=sys.stderr)

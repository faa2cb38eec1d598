"""`fomm animate`: animate a source image with a driving video into an H.264 mp4 (audio kept)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from fomm_studio.backend_option import add_backend_argument, report_backend
from fomm_studio.offline.animation_job import AnimationJob


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "animate",
        help="animate a source image with a driving video",
        description="Transfer the motion of a driving video onto a source image (relative motion w.r.t. "
        "the first driving frame by default) and write an H.264 mp4 with the driving video's audio.",
    )
    parser.add_argument(
        "--config", type=Path, help="model config YAML (default: detected from the checkpoint's tensors)"
    )
    parser.add_argument(
        "--checkpoint", required=True, type=Path, help="checkpoint (original .pth.tar layout)"
    )
    parser.add_argument("--source", required=True, type=Path, help="source image (the face to animate)")
    parser.add_argument("--driving", required=True, type=Path, help="driving video")
    parser.add_argument("--output", required=True, type=Path, help="output .mp4 file")
    parser.add_argument(
        "--absolute", action="store_true", help="absolute keypoint positions instead of relative motion"
    )
    parser.add_argument(
        "--adapt-scale",
        action=argparse.BooleanOptionalAction,
        default=False,  # as the app, the model card and the original demo: the ratio can exaggerate motion
        help="scale the motion by the ratio of source and driving face sizes (default off)",
    )
    parser.add_argument(
        "--find-best-frame",
        action="store_true",
        help="take as reference the driving frame whose face landmarks best match the source "
        "(needs the face-alignment weights)",
    )
    parser.add_argument(
        "--device", default="auto", help="cpu, cuda, cuda:N or auto (default: the GPU when torch sees one)"
    )
    parser.add_argument(
        "--side-by-side", action="store_true", help="write source | driving | result side by side"
    )
    parser.add_argument(
        "--paste-back",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="animate only the head of an avatar larger than the model's frame and paste it back at the "
        "avatar's own resolution (default: on when the avatar is larger and a face is found)",
    )
    parser.add_argument(
        "--detail",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with paste-back, keep the avatar's fine detail: add it to the upscaled head, moved by the "
        "model's own motion (default on; --no-detail pastes the plain upscaled head)",
    )
    add_backend_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    job = AnimationJob(
        config_path=args.config,  # None: detected from the checkpoint, which is read once
        checkpoint_path=args.checkpoint,
        source_path=args.source,
        driving_path=args.driving,
        output_path=args.output,
        relative=not args.absolute,
        adapt_scale=args.adapt_scale,
        find_best_frame=args.find_best_frame,
        device=args.device,
        side_by_side=args.side_by_side,
        paste_back=args.paste_back,
        detail=args.detail,
        backend=args.backend,
    )
    bar = _LazyBar(disable=args.quiet)
    try:
        output = job.run(bar.update, report=report_backend)
    finally:
        bar.close()
    print(f"wrote {output}")
    return 0


class _LazyBar:
    """A tqdm bar on stderr created at the first frame, so input errors stay a single line."""

    def __init__(self, disable: bool):
        self.disable = disable
        self.bar: tqdm | None = None

    def update(self, done: int, total: int) -> None:
        if self.disable:
            return
        if self.bar is None:
            self.bar = tqdm(total=total, unit="frame", file=sys.stderr, dynamic_ncols=True)
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

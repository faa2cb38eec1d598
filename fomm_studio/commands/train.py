"""`fomm train`: train or resume a FOMM model into a run folder (see trainer.loop).

`--prepare-faces DIR` first crops every video of --data to the tracked face (fomm_studio.live.face_tracking,
one tracker per video so the crop is smoothed over time) into DIR as frame folders with the same
train/test layout, then trains on DIR. Videos already prepared in DIR are reused.

With `--init-from CKPT` and no `--config`, the config is the packaged one CKPT's tensors fit
(fomm_studio.config_catalog), as in `fomm animate`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from trainer.train import add_train_arguments, options_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a FOMM model on a folder of videos",
        description="Train (or --resume) a FOMM model. Writes config.yaml, events.jsonl, samples/ and "
        "checkpoints/ to --run-dir. Create a file named STOP there to save and stop. "
        "Several processes: torchrun --standalone --nproc_per_node=N -m trainer.train <same arguments>.",
    )
    add_train_arguments(
        parser,
        config_help="FOMM YAML config (optional with --resume: the run's own; with --init-from: the "
        "packaged config the checkpoint's tensors fit)",
    )
    parser.add_argument(
        "--prepare-faces",
        type=Path,
        metavar="DIR",
        help="first crop each video to the tracked face into DIR, then train on DIR",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trainer.loop import train

    if args.config is None and args.init_from is not None and not args.resume:
        args.config = _detected_config(args.init_from)
    if args.prepare_faces is not None:
        args.data = prepare_faces(args.data, args.prepare_faces, _frame_size(args))
    return train(options_from_args(args))


def _detected_config(init_from: Path) -> Path:
    """The packaged config the --init-from checkpoint fits, said on stderr as `fomm animate` says it; a
    checkpoint that fits none is refused with what it looks like."""
    from engine.errors import FommError
    from fomm_studio.config_catalog import detect_config

    if not init_from.is_file():
        raise FommError(f"--init-from: no checkpoint file at {init_from}")
    match = detect_config(init_from)
    print(match.message, file=sys.stderr)
    return match.path


def _frame_size(args: argparse.Namespace) -> int:
    """Crop side: the config's frame size (the run's config on a --resume without --config)."""
    from engine.config import load_config

    config_path = args.config if args.config is not None else args.run_dir / "config.yaml"
    return int(load_config(config_path).dataset_params.frame_shape[0])


def prepare_faces(data: Path, out_dir: Path, size: int) -> Path:
    """Crop each video of `data` to the tracked head into `out_dir/<split>/<name>/NNNNN.png`."""
    from engine.atomic import atomic_write_text
    from engine.errors import FommError
    from trainer.video_cache import decode_video, discover_videos

    train, test = discover_videos(data)
    for split, videos in (("train", train), ("test", test)):
        for video in videos:
            target = out_dir / split / Path(video.name).stem
            if (target / ".done").is_file():
                continue
            try:
                frames, _ = decode_video(video)
            except (FommError, OSError) as exc:
                print(f"prepare: skipped {video}: {exc}", file=sys.stderr)
                continue
            found = _write_face_crops(frames, target, size)
            atomic_write_text(target / ".done", f"{found}/{len(frames)} frames with a face\n")
            print(f"prepare: {video.name}: face in {found}/{len(frames)} frames", file=sys.stderr)
    return out_dir


def _write_face_crops(frames: list[np.ndarray], target: Path, size: int) -> int:
    """Write the head crops of one video; returns how many frames had a tracked face."""
    from fomm_studio.live.face_tracking import FaceCropper
    from fomm_studio.media import save_png

    cropper = FaceCropper(out_size=size)
    found = 0
    for index, frame in enumerate(frames):
        square, has_face = cropper(frame, face_crop=True, zoom=1.0, offset=(0.0, 0.0))
        found += int(has_face)
        save_png(target / f"{index:05d}.png", square)
    return found

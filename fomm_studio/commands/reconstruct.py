"""`fomm reconstruct`: the paper's reconstruction benchmark on test videos (see trainer.reconstruct).

Prints and optionally writes (--json) L1 per video and the mean, next to the copy-first-frame
baseline; AKD (average keypoint distance of 68 face landmarks, real vs reconstructed) only when the
face landmark weights are installed; side-by-side videos (real | reconstruction) with --out-dir.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import atomic_write_text
from engine.errors import FommError
from fomm_studio.backend_option import add_backend_argument, report_backend
from fomm_studio.config_catalog import load_with_detected_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reconstruct",
        help="reconstruction benchmark of a checkpoint on test videos",
        description="Animate each test video's first frame by the video itself "
        "and report L1 (and AKD when landmark weights exist).",
    )
    parser.add_argument(
        "--config", type=Path, help="FOMM YAML config of the checkpoint (default: detected from its tensors)"
    )
    parser.add_argument("--checkpoint", type=Path, required=True, help="checkpoint (.pth.tar)")
    parser.add_argument(
        "--data", type=Path, required=True, help="dataset folder (its test/ split) or one video"
    )
    parser.add_argument("--out-dir", type=Path, help="write real | reconstruction videos here")
    parser.add_argument("--max-videos", type=int, help="evaluate at most this many videos")
    parser.add_argument("--json", type=Path, help="write the summary as JSON here")
    parser.add_argument(
        "--device", default="auto", help="cpu, cuda, cuda:N or auto (default: the GPU when torch sees one)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="decoded-frame cache (default ~/.cache/fomm_studio/frames)"
    )
    parser.add_argument("--no-akd", action="store_true", help="skip the landmark distance even if possible")
    add_backend_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.backends.choice import prepare_backend
    from trainer.reconstruct import evaluation_videos, reconstruct_videos, summary

    if args.max_videos is not None and args.max_videos < 1:
        raise FommError(f"--max-videos must be at least 1, got {args.max_videos}")
    models, detected = load_with_detected_config(args.checkpoint, args.config, args.device)
    if detected is not None:
        print(detected, file=sys.stderr)
    videos, report = evaluation_videos(args.data, models.config.dataset_params.frame_shape, args.cache_dir)
    choice = prepare_backend(models, args.backend)  # after the data check: a bad input fails at once
    report_backend(choice.describe())
    notes = [f"skipped unreadable {p}: {reason}" for p, reason in (report.unreadable if report else [])]
    if report is not None and not report.test:
        notes.append(f"{args.data}: no test videos; evaluated the training videos instead")
    akd_scorer, akd_note = _akd_scorer(args.no_akd)
    notes.append(akd_note)
    notes.append(choice.describe())
    rows: list[dict[str, Any]] = []
    for result in reconstruct_videos(models, videos, args.max_videos, choice.backend):
        row: dict[str, Any] = {
            "name": result.name,
            "path": str(result.source),
            "frames": len(result.frames),
            "l1": result.l1,
            "baseline_l1": result.baseline_l1,
        }
        if akd_scorer is not None:
            row["akd"] = akd_scorer(result.frames, result.predictions)
        if args.out_dir is not None:
            row["video"] = str(
                _write_video(args.out_dir, result.name, result.frames, result.predictions, result.fps)
            )
        rows.append(row)
        print(
            f"{result.name}: L1 {result.l1:.4f} (copy-first-frame {result.baseline_l1:.4f})", file=sys.stderr
        )
    data = summary(rows, notes)
    print(json.dumps(data["mean"]))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json is not None:
        atomic_write_text(args.json, json.dumps(data, indent=2) + "\n")
    return 0


def _write_video(
    out_dir: Path, name: str, frames: np.ndarray, predictions: np.ndarray, fps: float | None
) -> Path:
    """real | reconstruction side by side, H.264 mp4."""
    from fomm_studio.media import VideoWriter

    path = out_dir / f"{Path(name).stem}.reconstruction.mp4"
    with VideoWriter(path, fps or 25.0) as writer:
        for real, fake in zip(frames, predictions, strict=True):
            writer.write(np.concatenate([real, fake], axis=1))
    return path


def _akd_scorer(disabled: bool) -> tuple[Any, str]:
    """AKD function (frames, predictions) -> mean landmark distance in pixels, or None with the reason."""
    if disabled:
        return None, "AKD skipped (--no-akd)"
    from fomm_studio.offline.landmarks import LandmarkDetector, missing_landmark_weights

    missing = missing_landmark_weights()
    if missing:
        return None, f"AKD unavailable: face landmark weights missing ({', '.join(str(p) for p in missing)})"
    detector = LandmarkDetector()

    def score(frames: np.ndarray, predictions: np.ndarray) -> float | None:
        distances = []
        for real, fake in zip(frames, predictions, strict=True):
            a, b = (
                detector.landmarks(np.ascontiguousarray(real)),
                detector.landmarks(np.ascontiguousarray(fake)),
            )
            if a is not None and b is not None:
                distances.append(float(np.linalg.norm(a - b, axis=1).mean()))
        return float(np.mean(distances)) if distances else None

    return score, "AKD: mean pixel distance of 68 landmarks over frames where both faces were found"

"""`fomm bench`: time one live frame of a config against the vox-256 reference, in the same run.

A live frame is what the webcam loop pays per camera frame: `AnimationSession.animate(frame,
with_extras=False)` with the source's keypoints and features cached, i.e. keypoint detector on the
driving frame, dense motion and generator decoder, under `torch.inference_mode`. Models have random
weights (speed does not depend on them) and the driving frames come from the synthetic generator.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine import AnimationSession, FommModels, MotionOptions, build_models, load_config
from engine.errors import FommError
from fomm_studio.paths import CONFIGS_DIR
from trainer.synthetic import render_video

# Short names for the packaged configs; anything else is taken as a path.
NAMED_CONFIGS = {
    "lite": "lite-256.yaml",
    "lite-256": "lite-256.yaml",
    "vox": "vox-256.yaml",
    "vox-256": "vox-256.yaml",
}


@dataclass(frozen=True)
class LiveTiming:
    """Median milliseconds of one live frame and of its two stages, over `frames` timed frames."""

    name: str
    params_millions: float
    frame_ms: float
    keypoints_ms: float
    generator_ms: float
    frames: int

    @property
    def fps(self) -> float:
        return 1000.0 / self.frame_ms


def resolve_config(name_or_path: str) -> Path:
    """'lite', 'vox-256' (packaged) or a path to any original-format YAML config."""
    if name_or_path in NAMED_CONFIGS:
        return CONFIGS_DIR / NAMED_CONFIGS[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise FommError(f"{path}: config not found (or use one of: {', '.join(sorted(NAMED_CONFIGS))})")
    return path


def build_bench_models(config_path: Path, channels_last: bool, seed: int = 0) -> FommModels:
    """Random-weight kp detector and generator of a config, in eval mode."""
    torch.manual_seed(seed)
    models = build_models(load_config(config_path)).eval()
    return models.to_channels_last() if channels_last else models


def driving_clip(size: int, frames: int, seed: int = 0) -> np.ndarray:
    """Synthetic talking-head frames to drive with (a source plus `frames` driving frames). Shapes: (T, S, S, 3)."""
    return render_video((seed, 9, 0), frames + 1, size).frames


@dataclass
class _Runner:
    """One model under test: its session and the per-frame milliseconds collected so far."""

    name: str
    models: FommModels
    session: AnimationSession
    totals: list[float]
    keypoints: list[float]
    generator: list[float]

    def step(self, frame: np.ndarray, record: bool) -> None:
        start = time.perf_counter()
        result = self.session.animate(frame, with_extras=False)
        elapsed = (time.perf_counter() - start) * 1000.0
        if record:
            self.totals.append(elapsed)
            self.keypoints.append(result.timings["keypoints"])
            self.generator.append(result.timings["generator"])

    def timing(self) -> LiveTiming:
        nets = (self.models.kp_detector, self.models.generator)
        params = sum(p.numel() for net in nets for p in net.parameters())
        return LiveTiming(
            self.name,
            params / 1e6,
            statistics.median(self.totals),
            statistics.median(self.keypoints),
            statistics.median(self.generator),
            len(self.totals),
        )


def _runner(name: str, config_path: Path, channels_last: bool, source: np.ndarray) -> _Runner:
    models = build_bench_models(config_path, channels_last)
    session = AnimationSession(models, MotionOptions())
    session.set_source(source)
    return _Runner(name, models, session, [], [], [])


def measure_live(
    configs: list[tuple[str, Path]], frames: int = 20, warmup: int = 3, channels_last: bool = False
) -> list[LiveTiming]:
    """Time `frames` live frames of each config after `warmup` untimed ones.

    The configs take turns frame by frame, so a neighbour's load on a shared CPU hits all of them
    alike and their ratio stays meaningful; medians resist the odd slow frame.
    """
    sizes = {load_config(path).frame_size for _, path in configs}
    clips = {size: driving_clip(size, frames + warmup) for size in sizes}
    runners = [
        _runner(name, path, channels_last, clips[load_config(path).frame_size][0]) for name, path in configs
    ]
    for index in range(warmup + frames):
        for runner in runners:
            runner.step(clips[runner.models.config.frame_size][index + 1], record=index >= warmup)
    return [runner.timing() for runner in runners]


def timing_line(timing: LiveTiming) -> str:
    return (
        f"{timing.name}: frame {timing.frame_ms:.1f} ms (keypoints {timing.keypoints_ms:.1f} ms, "
        f"generator {timing.generator_ms:.1f} ms), {timing.fps:.1f} fps, "
        f"{timing.params_millions:.2f} M parameters, median of {timing.frames} frames"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time one live frame of a config against the vox-256 reference",
        description="Build random-weight models from --config and --reference, time AnimationSession.animate "
        "(source cached, no extras) on synthetic frames, print ms, fps and the speed ratio.",
    )
    parser.add_argument("--config", default="lite", help="config path, or 'lite' / 'vox-256' (default lite)")
    parser.add_argument(
        "--reference", default="vox-256", help="reference config (default vox-256; 'none' to skip)"
    )
    parser.add_argument("--frames", type=int, default=20, help="timed frames per model (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed frames first (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument(
        "--channels-last", action="store_true", help="run the networks in channels_last layout"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.frames < 1 or args.warmup < 0:
        raise FommError(f"--frames must be >= 1 and --warmup >= 0, got {args.frames} and {args.warmup}")
    if args.threads is not None:
        if args.threads < 1:
            raise FommError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    config = resolve_config(args.config)
    reference = None if args.reference == "none" else resolve_config(args.reference)
    print(
        f"threads {torch.get_num_threads()}, channels_last {'on' if args.channels_last else 'off'}, "
        f"torch {torch.__version__}"
    )
    configs = [(config.stem, config)] + ([] if reference is None else [(reference.stem, reference)])
    timings = measure_live(configs, args.frames, args.warmup, args.channels_last)
    for timing in timings:
        print(timing_line(timing))
    if len(timings) == 2:
        lite, ref = timings
        print(f"ratio {ref.name}/{lite.name}: {ref.frame_ms / lite.frame_ms:.1f}x faster")
    return 0

"""The live loop, sequential against pipelined (capture + face tracking on their own thread), on the
default model driven by the bundled sample clip at its real frame rate, as the app runs it.

    python3 benchmarks/bench_pipelined.py [--frames 60] [--rounds 3]

Both loops run in the same process, in alternating rounds, so a neighbour's load hits them alike.
Prints fps and camera-to-result latency (p50 / p95) of each and their fps ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fomm_studio.api import (
    SAMPLE_DRIVING,
    FeedSetup,
    LiveOptions,
    LivePipeline,
    VideoFileFeed,
    inference_context,
    load_models,
)
from fomm_studio.live.face_tracking import FaceCropper
from fomm_studio.model_registry import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
from fomm_studio.paths import ASSETS_DIR


def run_loop(pipelined: bool, frames: int) -> tuple[float, list[float]]:
    """(fps, latencies in ms) of `frames` live frames after a short warm-up."""
    models = load_models(DEFAULT_CONFIG, DEFAULT_CHECKPOINT)
    feeds = FeedSetup(
        lambda _spec: VideoFileFeed(SAMPLE_DRIVING, loop=True, realtime=True),
        "sample",
        FaceCropper(out_size=256),
        256,
        pipelined,
    )
    pipeline = LivePipeline(models, feeds, LiveOptions())
    pipeline.set_avatar_file(ASSETS_DIR / "avatars" / "astronaut.png")
    latencies = []
    try:
        with inference_context():
            for _ in range(5):
                pipeline.step()
            start = time.perf_counter()
            for _ in range(frames):
                frame = pipeline.step()
                latencies.append((time.perf_counter() - frame.captured_at) * 1000.0)
            elapsed = time.perf_counter() - start
    finally:
        pipeline.close()
    return frames / elapsed, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[bool, list[tuple[float, list[float]]]] = {False: [], True: []}
    for round_index in range(args.rounds):
        for pipelined in (False, True):
            fps, latencies = run_loop(pipelined, args.frames)
            results[pipelined].append((fps, latencies))
            name = "pipelined" if pipelined else "sequential"
            print(f"round {round_index + 1} {name}: {fps:.1f} fps", flush=True)
    summary = {}
    for pipelined, runs in results.items():
        fps = statistics.median(r[0] for r in runs)
        lat = sorted(x for r in runs for x in r[1])
        p50, p95 = lat[len(lat) // 2], lat[int(len(lat) * 0.95)]
        name = "pipelined" if pipelined else "sequential"
        summary[name] = fps
        print(
            f"{name}: {fps:.1f} fps (median of {len(runs)} rounds), latency p50 {p50:.0f} ms, p95 {p95:.0f} ms"
        )
    print(f"ratio pipelined/sequential: {summary['pipelined'] / summary['sequential']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU cost of recording a training clip in the live view, per camera frame and against the frame budget.

    python3 benchmarks/bench_training_clip.py [--frames 300] [--size 256] [--fps 30]

Frames of the synthetic face (480 px, centre-cropped as the live loop would) are offered at the
camera's pace; prints the CPU milliseconds the cropping thread spends per frame (fit, resize to the
model's frame size, queue) and the process CPU of the whole recording (those plus the recorder
thread's H.264 encoding) per frame, as a share of one core at that frame rate. Asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from fomm_studio.live.cropping import center_crop
from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.live.training_clip import TrainingClip
from fomm_studio.media import VideoReader


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", type=int, default=256, help="the model's frame size")
    parser.add_argument("--fps", type=float, default=30.0, help="the camera's frame rate")
    args = parser.parse_args()
    feed = SyntheticFeed(size=480, realtime=False)
    feed.open()
    crops = [np.ascontiguousarray(center_crop(feed.read())) for _ in range(args.frames)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        clip = TrainingClip(path, args.size, args.fps)
        start_process, start_thread = process_cpu(), time.thread_time()
        for crop in crops:
            clip.offer(crop, face_found=True, need_face=False)
            time.sleep(1.0 / args.fps)  # a camera's pace: the encoder keeps up or drops
        offer_ms = (time.thread_time() - start_thread) / args.frames * 1000.0
        print(clip.finish().text)
        total_ms = (process_cpu() - start_process) / args.frames * 1000.0
        written = sum(1 for _ in VideoReader(path).frames())
    budget_ms = 1000.0 / args.fps
    print(f"frames in the clip: {written}/{args.frames} at {args.size}x{args.size}")
    print(f"cropping thread: {offer_ms:.2f} ms CPU per frame")
    print(
        f"whole recording (offers + encoder): {total_ms:.2f} ms CPU per frame = "
        f"{total_ms / budget_ms:.0%} of one core at {args.fps:g} fps"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

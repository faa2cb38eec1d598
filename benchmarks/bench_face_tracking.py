"""Face tracking cost per frame: whole-frame Haar search every frame vs. the tracker's search near
the last face, on a webcam-sized (640x480) clip of the public-domain astronaut portrait moving about.

    python3 benchmarks/bench_face_tracking.py [--frames 120] [--face 0.5]

Prints ms per frame for both paths, the ratio, and how far apart their face boxes are (centre
distance and size ratio); asserts nothing about time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import skimage.data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fomm_studio.live.face_tracking import FaceRect, HaarFaceDetector


def moving_face_clip(frames: int, face_fraction: float) -> list[np.ndarray]:
    """The astronaut portrait (scaled so it fills `face_fraction` of the frame height) sliding and
    bobbing over a 640x480 grey frame."""
    portrait = skimage.data.astronaut()
    side = round(480 * face_fraction)
    portrait = cv2.resize(portrait, (side, side), interpolation=cv2.INTER_AREA)
    clip = []
    for t in range(frames):
        frame = np.full((480, 640, 3), 96, np.uint8)
        x = round((640 - side) / 2 + 0.35 * (640 - side) * np.sin(t / 15))
        y = round((480 - side) / 2 + 0.3 * (480 - side) * np.sin(t / 9))
        frame[y : y + side, x : x + side] = portrait
        clip.append(frame)
    return clip


def timed(
    path: str, clip: list[np.ndarray], detector: HaarFaceDetector
) -> tuple[float, list[FaceRect | None]]:
    faces: list[FaceRect | None] = []
    start = time.perf_counter()
    for frame in clip:
        last = faces[-1] if faces else None
        faces.append(detector.near(frame, last) if path == "near" and last is not None else detector(frame))
    return (time.perf_counter() - start) * 1000 / len(clip), faces


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--face", type=float, default=0.5, help="portrait height / frame height")
    args = parser.parse_args()
    clip = moving_face_clip(args.frames, args.face)
    detector = HaarFaceDetector()
    timed("full", clip[:5], detector)  # warm-up
    full_ms, full = timed("full", clip, detector)
    near_ms, near = timed("near", clip, detector)
    pairs = [(a, b) for a, b in zip(full, near, strict=True) if a is not None and b is not None]
    shift = [
        np.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2) / a[2]
        for a, b in pairs
    ]
    sizes = [b[2] / a[2] for a, b in pairs]
    print(f"{len(clip)} frames 640x480, portrait {args.face:.0%} of the height")
    print(f"whole-frame search: {full_ms:.2f} ms/frame, face found in {sum(f is not None for f in full)}")
    print(f"search near last face: {near_ms:.2f} ms/frame, face found in {sum(f is not None for f in near)}")
    print(f"ratio: {full_ms / near_ms:.1f}x faster")
    if pairs:
        print(
            f"boxes: centre apart {np.mean(shift):.3f} face widths (max {np.max(shift):.3f}), "
            f"size ratio {np.mean(sizes):.3f} (range {np.min(sizes):.3f}-{np.max(sizes):.3f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

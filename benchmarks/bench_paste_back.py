"""Cost of paste-back per live frame against the default model's frame, at 512 and 1024 pixels.

    python3 benchmarks/bench_paste_back.py [--frames 30]

The astronaut portrait scaled to each size, its head found by the face tracker's detector; prints the
median milliseconds of `PasteBack.paste` and of one live frame of the default model (same run), and
their ratio. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2

from engine import AnimationSession, load_models
from fomm_studio.live.paste_back import prepare_paste_back
from fomm_studio.media import read_image, read_video_frames
from fomm_studio.model_registry import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
from fomm_studio.paths import ASSETS_DIR


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    portrait = read_image(ASSETS_DIR / "avatars" / "astronaut.png")
    driving = read_video_frames(ASSETS_DIR / "sample_driving.mp4")[: args.frames]
    models = load_models(DEFAULT_CONFIG, DEFAULT_CHECKPOINT).to_channels_last()
    for size in (512, 1024):
        avatar = cv2.resize(portrait, (size, size), interpolation=cv2.INTER_CUBIC)
        paste = prepare_paste_back(avatar, models.config.frame_size)
        if paste is None:
            print(f"{size}: no face found, paste-back not used")
            continue
        session = AnimationSession(models)
        session.set_source(paste.source_crop)
        frame_ms, paste_ms = [], []
        for frame in driving:
            start = time.perf_counter()
            result = session.animate(frame, with_extras=False)
            middle = time.perf_counter()
            paste.paste(result.image)
            end = time.perf_counter()
            frame_ms.append((middle - start) * 1000)
            paste_ms.append((end - middle) * 1000)
        f, p = statistics.median(frame_ms), statistics.median(paste_ms)
        print(
            f"{size}x{size} (head square {paste.region.side} px): paste-back {p:.1f} ms, "
            f"live frame {f:.1f} ms, paste-back = {p / (f + p):.0%} of the frame"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

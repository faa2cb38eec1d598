"""Live-frame benchmark: the lite config against vox-256, for 1 and 2 threads, NCHW and channels_last.

    python3 benchmarks/bench_live.py [--frames 20] [--config lite] [--reference vox-256]

Prints frame ms, fps and the vox/lite ratio per setting; asserts nothing about time (the CPU is
shared and machines differ). The same measurement as `fomm bench`, swept over the settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fomm_studio.bench.live_frame import measure_live, resolve_config, timing_line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--config", default="lite")
    parser.add_argument("--reference", default="vox-256")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    config, reference = resolve_config(args.config), resolve_config(args.reference)
    for threads in args.threads:
        torch.set_num_threads(threads)
        for channels_last in (False, True):
            print(f"-- threads {threads}, channels_last {'on' if channels_last else 'off'}", flush=True)
            lite, ref = measure_live(
                [(config.stem, config), (reference.stem, reference)], args.frames, args.warmup, channels_last
            )
            print(timing_line(lite))
            print(timing_line(ref))
            print(f"ratio {ref.name}/{lite.name}: {ref.frame_ms / lite.frame_ms:.1f}x faster", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

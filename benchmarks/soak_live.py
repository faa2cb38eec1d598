"""Soak of the live loop: 10,000 frames of the tiny model through the live worker and a painting GUI.

    python3 benchmarks/soak_live.py [--frames 10000] [--warmup 100] [--threads 1] [--display 256]

Prints RSS after warm-up and at the end (after a garbage collection), their difference, frames per
second, frames dropped by the latest-frame slot, the most frames alive at once, and how the reference
counts of shared constants drift per frame (a binding that drops references it never took shows up
there long before it aborts the process; see ui/refcount_guard.py). Asserts nothing about time; the
bounded test is tests/reliability/gui/test_soak.py (1,000 frames).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import weakref
from collections import deque

import torch
from _live_harness import rss_mb, start, tiny_models
from PySide6.QtWidgets import QApplication


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the worker")
    parser.add_argument("--display", type=int, default=256, help="pane size in pixels")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    controller, painter = start(tiny_models(), args.display, realtime=False)
    recent: deque[weakref.ref] = deque(maxlen=64)
    most_alive = 0

    def on_frame(frame: object) -> None:
        nonlocal most_alive
        recent.append(weakref.ref(frame))
        most_alive = max(most_alive, sum(ref() is not None for ref in recent))

    painter.on_frame = on_frame
    wait_until(app, lambda: painter.painted >= args.warmup)
    gc.collect()
    rss_start, t0, painted0 = rss_mb(), time.perf_counter(), painter.painted
    refs_start = constant_refcounts()
    report_every = max(args.frames // 10, 1)
    next_report = report_every
    while painter.painted < args.frames:
        app.processEvents()
        if painter.painted >= next_report:
            print(f"  {painter.painted:6d} frames, RSS {rss_mb():7.1f} MB", flush=True)
            next_report += report_every
        time.sleep(0.001)
    seconds = time.perf_counter() - t0
    frames = max(painter.painted - painted0, 1)
    drift = {name: (now - refs_start[name]) / frames for name, now in constant_refcounts().items()}
    worker = controller.worker
    produced, dropped = (worker.produced, worker.dropped) if worker else (0, 0)
    controller.shutdown()
    gc.collect()
    rss_end = rss_mb()
    fps = frames / seconds
    print(
        f"frames painted {painter.painted}, produced {produced}, dropped {dropped}, most alive at once {most_alive}"
    )
    print(
        f"RSS after warm-up {rss_start:.1f} MB, at end {rss_end:.1f} MB, growth {rss_end - rss_start:+.1f} MB"
    )
    print("refcount drift per frame: " + ", ".join(f"{name} {value:+.2f}" for name, value in drift.items()))
    print(
        f"{fps:.1f} frames/s painted over {seconds:.1f} s (torch threads {args.threads}, pane {args.display} px)"
    )
    return 0


def constant_refcounts() -> dict[str, int]:
    return {repr(obj): sys.getrefcount(obj) for obj in (None, True, False, 0, 1, (), "")}


def wait_until(app: QApplication, done) -> None:
    while not done():
        app.processEvents()
        time.sleep(0.001)


if __name__ == "__main__":
    sys.exit(main())

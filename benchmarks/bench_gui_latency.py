"""GUI event-loop delay while the live worker runs: how late a 10 ms QTimer fires.

    python3 benchmarks/bench_gui_latency.py [--seconds 10] [--threads 1 2] [--display 384]
        [--default-weights PATH]

For an idle loop, then the tiny model and (when assets/models/default-lite-256.pth.tar exists) the
default model (or lite-256 with --default-weights, e.g. a checkpoint of its training run), each in
the live worker with the GUI thread painting every frame it takes: prints the timer's lateness (tick
gap beyond 10 ms) p50 / p99 / max in ms and the frames painted per second. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _live_harness import DEFAULT_WEIGHTS, default_models, start, tiny_models
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

INTERVAL_MS = 10


def measure(app: QApplication, seconds: float) -> np.ndarray:
    """Run the event loop for `seconds` with a 10 ms timer; its lateness per tick in ms."""
    late: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        late.append(max(0.0, (now - last[0]) * 1000.0 - INTERVAL_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(timer.timerType().PreciseTimer)
    timer.setInterval(INTERVAL_MS)
    timer.timeout.connect(tick)
    timer.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.0005)
    timer.stop()
    return np.asarray(late[1:])


def line(name: str, late: np.ndarray, fps: float | None) -> str:
    p50, p99 = np.percentile(late, [50, 99])
    rate = f", {fps:5.1f} frames/s painted" if fps is not None else ""
    return f"{name:<28} timer late p50 {p50:5.2f} ms, p99 {p99:6.2f} ms, max {late.max():7.2f} ms ({len(late)} ticks){rate}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch threads of the worker")
    parser.add_argument("--display", type=int, default=384, help="pane size in pixels (the GUI's default)")
    parser.add_argument("--default-weights", type=Path, default=DEFAULT_WEIGHTS, help="lite-256 weights")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(line("idle event loop", measure(app, args.seconds), None), flush=True)
    models = {"tiny (64 px)": tiny_models()}
    default = default_models(args.default_weights)
    if default is not None:
        models["default lite-256"] = default
    else:
        print(f"default lite-256: {args.default_weights} not found; skipped", flush=True)
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, model in models.items():
            controller, painter = start(model, args.display, realtime=False)
            while painter.painted < 3:  # model loaded, first frames painted
                app.processEvents()
                time.sleep(0.001)
            painted = painter.painted
            late = measure(app, args.seconds)
            fps = (painter.painted - painted) / args.seconds
            controller.shutdown()
            print(line(f"{name}, {threads} thread(s)", late, fps), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

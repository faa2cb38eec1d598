"""The app's own headless run on the default model, torch backend against the automatic choice.

    python3 benchmarks/bench_headless_backend.py [--rounds 3] [--frames 300] [--avatar IMG] [--camera-fps 60]

Each round runs `main.py --exit-after-frames N --no-overlays` twice, in turns, in fresh processes:
`--backend torch` and `--backend auto` (starts on torch, builds or loads the exported backends,
guards them on the avatar, switches to the fastest that passes). The driving feed is the sample clip
paced at `--camera-fps` (60 by default: at the clip's own 25 fps both runs would just wait for the
camera). Compared: each run's `backend_fps`, the rate of the frames shown on its final backend, from
the JSON line the app prints. Prints one line per run, the median ratio, and one JSON line; asserts
nothing. The first auto run may export (tens of seconds; cached after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def headless_run(backend: str, args: argparse.Namespace, config_dir: Path) -> dict[str, object]:
    """One scripted run of the app; its JSON line."""
    command = [
        sys.executable,
        str(REPO / "main.py"),
        *("--camera", f"{REPO / 'assets' / 'sample_driving.mp4'}@{args.camera_fps}"),
        *("--avatar", str(args.avatar), "--device", "cpu", "--backend", backend, "--no-overlays"),
        *("--exit-after-frames", str(args.frames), "--timeout", "900"),
    ]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FOMM_STUDIO_CONFIG_DIR=str(config_dir))
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{backend} run failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=300, help="frames per run (default 300)")
    parser.add_argument("--avatar", type=Path, default=REPO / "assets" / "avatars" / "astronaut.png")
    parser.add_argument("--camera-fps", type=float, default=60.0)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"torch": [], "auto": []}
    chosen: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fomm-bench-") as folder:
        for round_index in range(args.rounds):
            for backend in ("torch", "auto"):
                stats = headless_run(backend, args, Path(folder))
                rates[backend].append(float(stats["backend_fps"]))  # type: ignore[arg-type]
                if backend == "auto":
                    chosen.append(str(stats["backend"]))
                print(
                    f"round {round_index + 1} --backend {backend}: frames ran on {stats['backend']} at "
                    f"{stats['backend_fps']} fps (all {stats['frames']} frames: {stats['fps']} fps), "
                    f"stages {stats['stage_ms']}",
                    flush=True,
                )
    ratios = [a / t for a, t in zip(rates["auto"], rates["torch"], strict=True) if t > 0]
    ratio = statistics.median(ratios) if ratios else float("nan")
    print(f"auto ({', '.join(sorted(set(chosen)))}) / torch, median of {len(ratios)} rounds: {ratio:.2f}x")
    print(
        json.dumps(
            {
                "torch_fps": rates["torch"],
                "auto_fps": rates["auto"],
                "auto_backend": chosen,
                "ratio_median": round(ratio, 2),
                "camera_fps": args.camera_fps,
                "frames": args.frames,
            }
        )
    )


if __name__ == "__main__":
    main()

"""The live loop alone and beside a training process, with the app's thread policy and without it.

    python3 benchmarks/bench_contention.py [--seconds 20]

Four runs of the default model's live loop (sample clip, no pacing, centre crop), each in its own
process so its OpenMP policy is set before torch loads:
  policy: passive waiting (the app's) or active (OpenMP's default), alone or beside a training of the
  lite config started as the Train tab starts it (with the app's policy: passive, and the cores the
  live view leaves). Prints the live fps of each and the ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fomm_studio.training.launch import process_environment  # noqa: E402

LIVE = """
import sys, time
from fomm_studio.api import SAMPLE_DRIVING, FeedSetup, LiveOptions, LivePipeline, VideoFileFeed
from fomm_studio.api import inference_context, load_models, plain_cropper
from fomm_studio.model_registry import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
from fomm_studio.paths import ASSETS_DIR
seconds = float(sys.argv[1])
feeds = FeedSetup(lambda s: VideoFileFeed(SAMPLE_DRIVING, realtime=False), "clip", plain_cropper, 256)
pipeline = LivePipeline(load_models(DEFAULT_CONFIG, DEFAULT_CHECKPOINT), feeds, LiveOptions(face_crop=False))
pipeline.set_avatar_file(ASSETS_DIR / "avatars" / "astronaut.png")
with inference_context():
    for _ in range(5):
        pipeline.step()
    start, frames = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        pipeline.step()
        frames += 1
print(frames / (time.perf_counter() - start))
"""


def live_fps(policy: str, seconds: float) -> float:
    env = {**os.environ, "OMP_WAIT_POLICY": policy, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", LIVE, str(seconds)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def start_training(data: Path, run_dir: Path, policy: str) -> subprocess.Popen[bytes]:
    """The lite config's training, started as the Train tab does; returns once it has taken a step."""
    command = [
        sys.executable, "-m", "trainer.train", "--config", str(REPO / "fomm_studio" / "configs" / "lite-256.yaml"),
        "--data", str(data), "--run-dir", str(run_dir), "--max-steps", "100000", "--batch-size", "2",
        "--no-progress", "--checkpoint-every", "100000", "--sample-every", "100000",
    ]  # fmt: skip
    if policy == "PASSIVE":
        env = process_environment(os.environ, live_threads=int(os.environ.get("LIVE_THREADS", "2")))
    else:
        env = {**process_environment(os.environ), "OMP_WAIT_POLICY": "ACTIVE"}
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    events = run_dir / "events.jsonl"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if events.is_file() and '"step"' in events.read_text(encoding="utf-8", errors="replace"):
            return process
        if process.poll() is not None:
            raise RuntimeError(f"training exited with {process.returncode} before its first step")
        time.sleep(1)
    process.kill()
    raise RuntimeError("training took no step within 10 minutes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        for split in ("train", "test"):
            (data / split).mkdir(parents=True)
            shutil.copy(REPO / "assets" / "sample_driving.mp4", data / split / "clip.mp4")
        fps = {}
        for policy in ("PASSIVE", "ACTIVE"):
            fps[(policy, "alone")] = live_fps(policy, args.seconds)
            print(f"{policy.lower()} waiting, live alone: {fps[(policy, 'alone')]:.1f} fps", flush=True)
            training = start_training(data, Path(tmp) / f"run-{policy}", policy)
            try:
                fps[(policy, "training")] = live_fps(policy, args.seconds)
            finally:
                training.terminate()
                training.wait(60)
            print(
                f"{policy.lower()} waiting, live beside training: {fps[(policy, 'training')]:.1f} fps",
                flush=True,
            )
    for policy in ("PASSIVE", "ACTIVE"):
        share = fps[(policy, "training")] / fps[(policy, "alone")]
        print(f"{policy.lower()}: beside a training the live view keeps {share:.0%} of its fps")
    ratio = fps[("PASSIVE", "training")] / fps[("ACTIVE", "training")]
    print(f"beside a training, the app's policy gives the live view {ratio:.1f}x the fps of OpenMP's default")
    return 0


if __name__ == "__main__":
    sys.exit(main())

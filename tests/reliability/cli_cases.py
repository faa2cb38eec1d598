"""The inputs one `fomm` command needs, built fresh in a folder, and how to run the command on them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT, TINY_CONFIG
from tests.fomm_studio.media_samples import make_video


@dataclass(frozen=True)
class Inputs:
    """Good inputs for animate / train / reconstruct; a matrix row spoils one of them."""

    root: Path
    config: Path
    checkpoint: Path
    source: Path
    driving: Path
    output: Path
    data: Path  # dataset folder for `fomm train` (train/clip.mp4)
    clip: Path  # single video for `fomm reconstruct`
    run_dir: Path
    cache: Path
    torch_home: Path  # empty: no VGG or landmark weights in it
    marker: Path  # appears only if some loader runs pickled code

    @property
    def train_clip(self) -> Path:
        return self.data / "train" / "clip.mp4"

    @property
    def resume_checkpoint(self) -> Path:
        return self.run_dir / "checkpoints" / "step-00000001.pth.tar"


def make_inputs(root: Path, checkpoint: Path) -> Inputs:
    root.mkdir(parents=True)
    config = root / "model.yaml"
    shutil.copyfile(TINY_CONFIG, config)
    model = root / "model.pth.tar"
    shutil.copyfile(checkpoint, model)
    (root / "data" / "train").mkdir(parents=True)
    inputs = Inputs(
        root=root,
        config=config,
        checkpoint=model,
        source=root / "avatar.png",
        driving=make_video(root / "driving.mp4", frames=6, fps=10, audio=None),
        output=root / "result.mp4",
        data=root / "data",
        clip=make_video(root / "clip.mp4", frames=6, fps=10, audio=None),
        run_dir=root / "run",
        cache=root / "cache",
        torch_home=root / "torch-home",
        marker=root / "PAYLOAD-RAN",
    )
    _rgb_avatar(inputs.source)
    make_video(inputs.train_clip, frames=8, fps=10, audio=None, width=64, height=64)
    inputs.torch_home.mkdir()
    return inputs


def _rgb_avatar(path: Path) -> None:
    from fomm_studio.live.feeds import SyntheticFeed
    from fomm_studio.media import save_png

    save_png(path, SyntheticFeed(size=96, seed=2).frame_at(0))


def argv(command: str, i: Inputs, extra: tuple[str, ...] = ()) -> list[str]:
    """The command line of `command` on the inputs (extra options last, so they override)."""
    if command == "animate":
        base = ["animate", "--quiet", "--config", i.config, "--checkpoint", i.checkpoint]
        base += ["--source", i.source, "--driving", i.driving, "--output", i.output]
    elif command == "train":
        base = [
            "train",
            "--config",
            i.config,
            "--data",
            i.data,
            "--run-dir",
            i.run_dir,
            "--cache-dir",
            i.cache,
        ]
        base += ["--device", "cpu", "--perceptual-backend", "pyramid_l1_ssim", "--no-progress"]
        base += ["--batch-size", "1", "--max-steps", "1"]
    elif command == "reconstruct":
        base = ["reconstruct", "--config", i.config, "--checkpoint", i.checkpoint, "--data", i.clip]
        base += ["--cache-dir", i.cache, "--device", "cpu", "--no-akd"]
    else:
        raise ValueError(command)
    return [str(part) for part in (*base, *extra)]


def start_subprocess(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `python -m fomm_studio.cli ARGS` as a user runs it (its own process, logging unconfigured)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "fomm_studio.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=full_env,
    )

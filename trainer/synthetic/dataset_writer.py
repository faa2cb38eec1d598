"""Write a synthetic training set in the original FOMM layout: DIR/train/*.mp4 and DIR/test/*.mp4.

Every video is rendered from its own seed, derived from (dataset seed, split, index), so a dataset
is reproducible and any single video can be regenerated alone. `DIR/README.md` states how it was
made and the license of every picture the generator can draw from.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import av
import numpy as np

from engine.atomic import atomic_write_text, atomic_write_with
from engine.errors import FommError
from trainer.png import write_png
from trainer.synthetic.licensed_images import LICENSED_IMAGES, license_lines
from trainer.synthetic.render import render_video
from trainer.synthetic.trajectory import MotionStyle

SPLIT_CODES = {"train": 0, "test": 1}
FORMATS = ("mp4", "png")
MAX_MOTION = 3.0  # beyond it heads leave the frame and rotations pass 60 degrees


class SyntheticDatasetError(FommError):
    """Bad arguments for the generator or an output folder it must not overwrite."""


@dataclass(frozen=True)
class SynthOptions:
    """What `generate_dataset` makes; `test_videos` defaults to about a tenth of `videos`."""

    videos: int = 200
    frames: int = 100
    size: int = 256
    seed: int = 0
    fps: int = 25
    test_videos: int | None = None
    format: str = "mp4"
    motion: float = 1.0  # how far heads move, times trainer.synthetic.trajectory.MotionLimits

    def validate(self) -> None:
        if self.videos < 2:
            raise SyntheticDatasetError(
                f"--videos must be at least 2 (one train, one test), got {self.videos}"
            )
        if not 2 <= self.frames <= 10000:
            raise SyntheticDatasetError(f"--frames must be between 2 and 10000, got {self.frames}")
        if self.size < 32 or self.size % 2:
            raise SyntheticDatasetError(f"--size must be an even number of pixels >= 32, got {self.size}")
        if self.format not in FORMATS:
            raise SyntheticDatasetError(f"--format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if not 0.0 <= self.motion <= MAX_MOTION:
            raise SyntheticDatasetError(f"--motion must be between 0 and {MAX_MOTION:g}, got {self.motion:g}")
        if self.test_videos is not None and not 1 <= self.test_videos < self.videos:
            raise SyntheticDatasetError(f"--test-videos must be between 1 and {self.videos - 1}")

    @property
    def num_test(self) -> int:
        return self.test_videos if self.test_videos is not None else max(1, round(self.videos * 0.1))


def video_seed(seed: int, split: str, index: int) -> tuple[int, int, int]:
    """Seed of one video: independent of how many other videos the dataset has."""
    return (seed, SPLIT_CODES[split], index)


def write_mp4(path: Path, frames: np.ndarray, fps: int = 25, crf: int = 16) -> None:
    """H.264 (yuv420p) mp4, written atomically. Shapes: frames (T, H, W, 3) uint8 RGB."""

    def encode(handle: IO) -> None:
        with av.open(handle, mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height = int(frames.shape[2]), int(frames.shape[1])
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": "veryfast"}
            for frame in frames:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode(None))

    atomic_write_with(path, encode)


def write_png_folder(path: Path, frames: np.ndarray) -> None:
    """A folder of frames 0000000.png, 0000001.png, ... (the original repo's frame-folder layout)."""
    path.mkdir(parents=True, exist_ok=True)
    for t, frame in enumerate(frames):
        write_png(path / f"{t:07d}.png", frame)


def _render_and_write(root: Path, split: str, index: int, options: SynthOptions) -> str:
    """Render one video and write it under root/split; returns its relative path."""
    seed = video_seed(options.seed, split, index)
    video = render_video(seed, options.frames, options.size, style=MotionStyle(scale=options.motion))
    stem = f"{split}-{index:04d}-{video.kind}"
    if options.format == "png":
        write_png_folder(root / split / stem, video.frames)
        return f"{split}/{stem}"
    write_mp4(root / split / f"{stem}.mp4", video.frames, options.fps)
    return f"{split}/{stem}.mp4"


def _prepare_root(root: Path, overwrite: bool) -> None:
    """Refuse to mix with an existing dataset unless asked to replace its train/ and test/."""
    existing = [root / s for s in SPLIT_CODES if (root / s).exists()]
    if existing and not overwrite:
        raise SyntheticDatasetError(
            f"{root}: already holds {', '.join(p.name + '/' for p in existing)} (use --overwrite to replace them)"
        )
    for path in existing:
        shutil.rmtree(path)
    for split in SPLIT_CODES:
        (root / split).mkdir(parents=True, exist_ok=True)


def motion_words(motion: float) -> str:
    """How the README states a motion amplitude other than the default."""
    return "" if motion == 1.0 else f", its head moving {motion:g}x as far as the generator's default"


def readme_text(options: SynthOptions) -> str:
    """The dataset's README: how to regenerate it and the license of every source."""
    num_train = options.videos - options.num_test
    layout = "one H.264 mp4 per video" if options.format == "mp4" else "one folder of PNG frames per video"
    return "\n".join(
        [
            "# Synthetic talking-head dataset (FOMM Studio)",
            "",
            f"{num_train} training and {options.num_test} test videos, {options.frames} frames each, "
            f"{options.size}x{options.size}, {options.fps} fps, {layout} in `train/` and `test/`.",
            "",
            "Regenerate (deterministic for a given seed):",
            "",
            f"    fomm synth --out DIR --videos {options.videos} --frames {options.frames} "
            f"--size {options.size} --seed {options.seed} --format {options.format}"
            + (f" --test-videos {options.test_videos}" if options.test_videos is not None else "")
            + (f" --motion {options.motion:g}" if options.motion != 1.0 else ""),
            "",
            "Each video shows one face-like subject in front of a static, slightly drifting background, "
            "moving smoothly (rotation, translation, scale, fake yaw and pitch) while it blinks, talks and "
            f"drops its jaw{motion_words(options.motion)}. Subjects are procedurally drawn cartoon heads or photo faces bent by smooth "
            "local warps. No real video and no recording of a person was used.",
            "",
            "## Licenses of the sources",
            "",
            "- Cartoon heads, backgrounds (gradients, rooms, noise), motion and every warp: generated by "
            "FOMM Studio's `trainer.synthetic` code (same license as FOMM Studio, MIT).",
            "- Sample pictures bundled with scikit-image (used as photo faces, background textures and "
            "skin/hair texture; license as stated in scikit-image's `skimage.data` documentation):",
            *("  " + line for line in license_lines(set(LICENSED_IMAGES))),
            "",
        ]
    )


def generate_dataset(
    root: str | Path,
    options: SynthOptions,
    overwrite: bool = False,
    workers: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[str]:
    """Render and write the whole dataset plus README.md; returns the written paths (relative to root)."""
    options.validate()
    root = Path(root)
    _prepare_root(root, overwrite)
    jobs = [("test" if i >= options.videos - options.num_test else "train", i) for i in range(options.videos)]
    jobs = [(split, i if split == "train" else i - (options.videos - options.num_test)) for split, i in jobs]
    written: list[str] = []
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_render_and_write, root, split, i, options) for split, i in jobs]
            for future in futures:
                written.append(future.result())
                if progress:
                    progress(len(written), len(jobs), written[-1])
    else:
        for split, i in jobs:
            written.append(_render_and_write(root, split, i, options))
            if progress:
                progress(len(written), len(jobs), written[-1])
    atomic_write_text(root / "README.md", readme_text(options))
    return written

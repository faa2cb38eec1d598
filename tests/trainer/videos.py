"""Small synthetic training videos for the trainer tests: textured shapes that move and deform."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def make_frames(seed: int, num_frames: int = 12, size: int = 64) -> list[np.ndarray]:
    """A textured ellipse translating, rotating and stretching over a striped background (RGB uint8)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    background = np.stack(
        [128 + 60 * np.sin(xx / 5 + seed), 100 + 40 * np.cos(yy / 7), 90 + 30 * np.sin((xx + yy) / 9)],
        axis=-1,
    )
    texture = rng.uniform(0, 255, size=(8, 8, 3)).astype(np.float32)
    texture = cv2.resize(texture, (size, size), interpolation=cv2.INTER_CUBIC)
    frames = []
    for t in range(num_frames):
        phase = t / max(1, num_frames - 1)
        cx = size * (0.35 + 0.3 * phase)
        cy = size * (0.5 + 0.15 * np.sin(2 * np.pi * phase + seed))
        angle = 40 * phase + 10 * seed
        axes = (int(size * (0.22 + 0.06 * np.sin(2 * np.pi * phase))), int(size * 0.15))
        mask = np.zeros((size, size), np.uint8)
        cv2.ellipse(mask, (int(cx), int(cy)), axes, angle, 0, 360, 255, thickness=-1)
        moved = np.roll(texture, shift=(int(3 * t), int(2 * t)), axis=(0, 1))
        frame = np.where(mask[..., None] > 0, moved, background)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return frames


def write_mp4(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """mp4v video via cv2.VideoWriter."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_frame_folder(path: Path, frames: list[np.ndarray]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(path / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return path


def make_dataset(
    root: Path, num_train: int = 4, num_test: int = 1, num_frames: int = 12, size: int = 64, mp4: bool = True
) -> Path:
    """root/train and root/test with frame folders (and one .mp4 in train when `mp4`)."""
    for split, count, offset in (("train", num_train, 0), ("test", num_test, 100)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            frames = make_frames(offset + i, num_frames, size)
            if mp4 and split == "train" and i == 0:
                write_mp4(root / split / f"video{i}.mp4", frames)
            else:
                write_frame_folder(root / split / f"video{i}", frames)
    return root

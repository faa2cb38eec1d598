"""Hostile and awkward input files, generated inside the tests (no binary fixtures in the repo)."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import torch
import yaml

from tests.fomm_studio.media_samples import make_video


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def random_bytes(path: Path, size: int = 20_000) -> Path:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def text(path: Path) -> Path:
    path.write_text("this is a text file, not what its name says\n", encoding="utf-8")
    return path


def truncated_video(path: Path) -> Path:
    """A real H.264 mp4 cut in the middle: its index (moov, written last) is gone, as when a recorder dies."""
    full = make_video(path.with_name("full-" + path.name), frames=30, fps=10, audio=None)
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    full.unlink()
    return path


def front_indexed_truncated_video(path: Path, frames: int = 16) -> Path:
    """A `faststart` mp4 (index first, as web downloads are) cut in the middle: early frames still decode."""
    rng = np.random.default_rng(3)
    whole = path.with_name("whole-" + path.name)
    with av.open(str(whole), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(frames):
            # Noise does not compress, so the file is large enough to cut between frames.
            frame = av.VideoFrame.from_ndarray(
                rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), format="rgb24"
            )
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    whole.unlink()
    return path


def _gradient(height: int, width: int) -> np.ndarray:
    """Colour ramps with a checkerboard on top, so any warp of the image shows in its pixels."""
    yy, xx = np.mgrid[0:height, 0:width]
    checker = 60 * (((yy // 6) + (xx // 6)) % 2)
    return np.stack(
        [200 * xx / max(width - 1, 1) + checker, 200 * yy / max(height - 1, 1) + checker, 128 + 0 * xx],
        axis=2,
    ).astype(np.uint8)


def _write_png(path: Path, image_bgr_or_gray: np.ndarray) -> Path:
    ok, buffer = cv2.imencode(".png", image_bgr_or_gray)
    assert ok
    path.write_bytes(buffer.tobytes())
    return path


def grayscale_png(path: Path) -> Path:
    """A single-channel 8-bit PNG."""
    return _write_png(path, cv2.cvtColor(_gradient(96, 96), cv2.COLOR_RGB2GRAY))


def rgba_png(path: Path) -> Path:
    """A 4-channel PNG whose left half is fully transparent."""
    bgra = cv2.cvtColor(_gradient(96, 96), cv2.COLOR_RGB2BGRA)
    bgra[:, :48, 3] = 0
    return _write_png(path, bgra)


def tiny_png(path: Path) -> Path:
    """An 8x8 RGB PNG (far below the model's frame size)."""
    return _write_png(path, cv2.cvtColor(_gradient(8, 8), cv2.COLOR_RGB2BGR))


def wide_png(path: Path) -> Path:
    """A 2000x100 RGB PNG (aspect 20:1)."""
    return _write_png(path, cv2.cvtColor(_gradient(100, 2000), cv2.COLOR_RGB2BGR))


class _RunsCode:
    """Unpickling this calls `open(marker, "w")`: a file appears if a loader ever runs pickled code."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


def code_checkpoint(path: Path, marker: Path) -> Path:
    """A `.pth.tar` (torch's zip format) whose full unpickling would create `marker`."""
    torch.save({"generator": _RunsCode(marker), "kp_detector": {}, "epoch": 0}, path)
    return path


def config_variant(source: Path, path: Path, changes: dict[str, object]) -> Path:
    """A copy of the YAML config at `source` with dotted keys set (missing sections are created)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def checkpoint_for_other_config(tiny_config: Path, path: Path) -> Path:
    """A valid checkpoint of a model with 10 keypoints instead of the tiny config's 5."""
    from engine import build_models, load_config, save_checkpoint

    other = config_variant(
        tiny_config, path.with_name("other-10kp.yaml"), {"model_params.common_params.num_kp": 10}
    )
    models = build_models(load_config(other))
    save_checkpoint(
        path, {"generator": models.generator.state_dict(), "kp_detector": models.kp_detector.state_dict()}
    )
    return path

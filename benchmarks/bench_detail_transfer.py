"""Detail transfer: its cost per live frame at 512 and 1024 pixels, and how much sharper the pasted face is.

    python3 benchmarks/bench_detail_transfer.py [--frames 30] [--backend torch|openvino]

The astronaut portrait scaled (bicubic) to each size and driven by the sample clip with the default
model. For each size prints the median milliseconds of one frame of the model (asking for the flow
and occlusion map, as detail transfer does), of the plain paste-back and of the paste-back with detail
transfer, and each as a share of the whole frame. Then the sharpness of the pasted face (variance of
the Laplacian of its grey levels, inside the feathered border, mean over the frames) without detail,
with the detail above the model's frame size, and with the detail above the resolution measured on the
model's reconstruction (the default), against the avatar's own. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import numpy as np

from engine import AnimationSession, FommModels, load_models
from engine.backends.base import FrameBackend
from engine.backends.choice import build_backend
from fomm_studio.live.detail_transfer import DETAIL_EXTRAS, laplacian_variance
from fomm_studio.live.paste_back import PasteBack, prepare_paste_back, set_paste_source
from fomm_studio.media import read_image, read_video_frames
from fomm_studio.model_registry import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
from fomm_studio.paths import ASSETS_DIR


def sharpness(image: np.ndarray, paste: PasteBack) -> float:
    """Laplacian variance of the head square inside its feathered border (a fifth of the side each way)."""
    r = paste.region
    return laplacian_variance(image[r.top : r.top + r.side, r.left : r.left + r.side], border=0.2)


def run_clip(
    paste: PasteBack, session: AnimationSession, driving: list[np.ndarray]
) -> dict[str, list[float]]:
    """Per frame: ms of the model frame and of each paste, and each paste's face sharpness. The detail
    is taken against the model's frame size ('detail@S') and against the measured resolution."""
    figures: dict[str, list[float]] = {}
    measured = paste.detail_resolution
    for frame in driving:
        start = time.perf_counter()
        result = session.animate(frame, with_extras=DETAIL_EXTRAS)
        figures.setdefault("frame ms", []).append((time.perf_counter() - start) * 1000)
        for name, detail, resolution in (
            ("plain", False, measured),
            ("detail@S", True, paste.model_size),
            ("detail", True, measured),
        ):
            if paste.detail_resolution != resolution:
                paste.set_detail_resolution(resolution)
                paste.compose(result, detail=detail)  # the per-avatar set-up is not a frame's cost
            start = time.perf_counter()
            out = paste.compose(result, detail=detail)
            figures.setdefault(f"{name} ms", []).append((time.perf_counter() - start) * 1000)
            figures.setdefault(name, []).append(sharpness(out, paste))
    return figures


def measure(
    size: int,
    portrait: np.ndarray,
    driving: list[np.ndarray],
    models: FommModels,
    backend: FrameBackend | None,
) -> None:
    avatar = cv2.resize(portrait, (size, size), interpolation=cv2.INTER_CUBIC)
    paste = prepare_paste_back(avatar, models.config.frame_size)
    if paste is None:
        print(f"{size}: no face found, paste-back not used")
        return
    session = AnimationSession(models)
    session.set_backend(backend)
    set_paste_source(session, avatar, paste)
    figures = run_clip(paste, session, driving)
    f, p, d = (statistics.median(figures[k]) for k in ("frame ms", "plain ms", "detail ms"))
    print(
        f"{size}x{size} (head square {paste.region.side} px): model frame {f:.1f} ms; paste-back {p:.1f} ms "
        f"({p / (f + p):.0%} of the frame); with detail {d:.1f} ms ({d / (f + d):.0%}; detail alone "
        f"+{d - p:.1f} ms)"
    )
    own = sharpness(avatar, paste)
    plain, at_s, detail = (statistics.mean(figures[k]) for k in ("plain", "detail@S", "detail"))
    print(
        f"  face sharpness (Laplacian variance): avatar {own:.1f}; pasted plain {plain:.1f} ({plain / own:.0%}), "
        f"detail against {paste.model_size} px {at_s:.1f} ({at_s / own:.0%}), detail against the measured "
        f"{paste.detail_resolution} px {detail:.1f} ({detail / own:.0%})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--backend", default="torch", help="torch or an exported backend (e.g. openvino)")
    args = parser.parse_args()
    portrait = read_image(ASSETS_DIR / "avatars" / "astronaut.png")
    driving = read_video_frames(ASSETS_DIR / "sample_driving.mp4")[: args.frames]
    models = load_models(DEFAULT_CONFIG, DEFAULT_CHECKPOINT).to_channels_last()
    backend = None
    if args.backend != "torch":  # the motion comes from the exported backend too (`last_motion`)
        backend, how = build_backend(models, args.backend)
        print(f"backend {args.backend}: {how}")
    for size in (512, 1024):
        measure(size, portrait, driving, models, backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Split-rate live frames, measured before deciding to ship them (#13.6): the keypoint detector on every
frame, the generator on every Nth only; in between, the last output is warped by the motion of the new
keypoints (each keypoint's local affine motion, Eq. 4, blended by Gaussian weights around the
keypoints: no dense motion network, no occlusion).

    python3 benchmarks/bench_split_rate.py [--every 2 3 4] [--frames 120] [--backend torch]

The default model and the astronaut avatar, driven by the bundled sample clip (centre crop, no
pacing). Full rate and each split rate run the same frames in the same process, in alternating
rounds. Prints fps of each, the ratio to full rate, and L1 (mean |split - full| on [0, 1] pixels)
against the full-rate output, over all frames and over the warped ones, next to the L1 of simply
repeating the last output (what the warp has to beat to be worth its time); asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import AnimationSession, load_models
from engine.backends.choice import build_backend
from engine.geometry import kp2gaussian
from engine.imaging import fit_square, uint8_to_input
from engine.motion import KeypointDict, sparse_motions, transfer_keypoints
from fomm_studio.api import SAMPLE_DRIVING, VideoReader, read_image
from fomm_studio.model_registry import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
from fomm_studio.paths import ASSETS_DIR

FLOW_SIZE = 64  # the warp's flow is computed at this size and upsampled (as the dense motion's is)
KP_VARIANCE = 0.01  # the dense motion network's Gaussian width in the lite and original configs


def warp_output(image: torch.Tensor, kp_before: KeypointDict, kp_now: KeypointDict) -> torch.Tensor:
    """The last output moved from the keypoints it was made for to the new ones.

    Only the displacement is computed at FLOW_SIZE and upsampled, and it is applied around the exact
    identity of `grid_sample`, so equal keypoints return the image unchanged.
    Shapes: image (1, 3, S, S), keypoints (1, K, 2) [+ (1, K, 2, 2)] -> (1, 3, S, S).
    """
    motions = sparse_motions(FLOW_SIZE, FLOW_SIZE, kp_before, kp_now)  # (1, K+1, h, w, 2), 0 = identity
    weights = kp2gaussian(kp_now["value"], FLOW_SIZE, FLOW_SIZE, KP_VARIANCE)  # (1, K, h, w)
    background = (1.0 - weights.sum(1, keepdim=True)).clamp(min=0.0)
    weights = torch.cat([background, weights], dim=1)
    weights = weights / weights.sum(1, keepdim=True).clamp(min=1e-6)
    flow = (motions * weights.unsqueeze(-1)).sum(1)  # (1, h, w, 2)
    displacement = (flow - motions[:, 0]).permute(0, 3, 1, 2)  # (1, 2, h, w)
    displacement = F.interpolate(displacement, size=image.shape[2:], mode="bilinear", align_corners=False)
    identity = F.affine_grid(torch.eye(2, 3).unsqueeze(0), list(image.shape), align_corners=False)
    return F.grid_sample(image, identity + displacement.permute(0, 2, 3, 1), align_corners=False)


class SplitRate:
    """The live frame's steps (those of `AnimationSession.animate`), generating every `every`th frame."""

    def __init__(self, session: AnimationSession, every: int, warp: bool = True):
        self.session, self.every, self.warp = session, every, warp
        self.index = 0
        self.last: tuple[torch.Tensor, KeypointDict] | None = None
        self.stage_ms: dict[str, list[float]] = {"keypoints": [], "generator": [], "warp": []}

    def frame(self, square: np.ndarray) -> torch.Tensor:
        s = self.session
        start = time.perf_counter()
        driving = uint8_to_input(torch.from_numpy(square), s.frame_size)
        kp_driving = s.backend.keypoints(driving)
        if s._kp_initial is None:
            s._kp_initial = kp_driving
        assert s._kp_source is not None  # set_source ran
        kp_norm = transfer_keypoints(s._kp_source, kp_driving, s._kp_initial, s.options)
        middle = time.perf_counter()
        if self.last is None or self.index % self.every == 0:
            output, stage = s.backend.generate(kp_norm), "generator"
            self.last = (output, kp_norm)
        elif self.warp:
            output, stage = warp_output(self.last[0], self.last[1], kp_norm), "warp"
        else:
            output, stage = self.last[0], "warp"
        self.stage_ms["keypoints"].append((middle - start) * 1000.0)
        self.stage_ms[stage].append((time.perf_counter() - middle) * 1000.0)
        self.index += 1
        return output.clamp(0, 1)


STAGES: dict[str, list[float]] = {"keypoints": [], "generator": [], "warp": []}  # ms, every warping pass


def run(
    session: AnimationSession, every: int, frames: list[np.ndarray], warp: bool = True
) -> tuple[float, list[torch.Tensor]]:
    """(fps, outputs) of one pass over `frames` from a fresh calibration."""
    session.reset_calibration()
    loop = SplitRate(session, every, warp)
    outputs = []
    start = time.perf_counter()
    for frame in frames:
        outputs.append(loop.frame(frame))
    if warp:
        for name, values in loop.stage_ms.items():
            STAGES[name].extend(values)
    return len(frames) / (time.perf_counter() - start), outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, nargs="+", default=[2, 3, 4], help="generator every Nth frame")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backend", default="torch", help="torch, openvino or openvino-bf16")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = load_models(DEFAULT_CONFIG, DEFAULT_CHECKPOINT).to_channels_last()
    session = AnimationSession(models)
    if args.backend != "torch":
        session.set_backend(build_backend(models, args.backend)[0])
    session.set_source(read_image(ASSETS_DIR / "avatars" / "astronaut.png"))
    frames = [np.ascontiguousarray(fit_square(f)) for f in islice(VideoReader(SAMPLE_DRIVING), args.frames)]
    rates = [1, *args.every]
    fps: dict[int, list[float]] = {n: [] for n in rates}
    outputs: dict[int, list[torch.Tensor]] = {}
    with torch.inference_mode():
        run(session, 1, frames[:5])  # warm-up
        for _ in range(args.rounds):
            for n in rates:
                value, outputs[n] = run(session, n, frames)
                fps[n].append(value)
        held = {n: run(session, n, frames, warp=False)[1] for n in args.every}
    full = statistics.median(fps[1])
    print(f"{len(frames)} frames of {SAMPLE_DRIVING.name}, backend {args.backend}, {args.threads} threads")
    stage = {name: statistics.median(values) for name, values in STAGES.items()}
    print(
        f"full rate: {full:.1f} fps; median stage ms: " + ", ".join(f"{k} {v:.1f}" for k, v in stage.items())
    )
    for n in args.every:
        warped, repeated = _l1(outputs[n], outputs[1], n), _l1(held[n], outputs[1], n)
        print(
            f"generator every {n}: {statistics.median(fps[n]):.1f} fps ({statistics.median(fps[n]) / full:.2f}x), "
            f"L1 vs full rate {warped[0]:.4f} (in-between frames {warped[1]:.4f}); "
            f"repeating the last output instead: {repeated[0]:.4f} ({repeated[1]:.4f}); "
            f"from the stage medians: {_modelled_speedup(stage, n):.2f}x"
        )


def _modelled_speedup(stage: dict[str, float], every: int) -> float:
    """Full-rate frame time over the split-rate one, from the median stage times (steadier than fps
    on a loaded machine)."""
    full = stage["keypoints"] + stage["generator"]
    split = stage["keypoints"] + (stage["generator"] + (every - 1) * stage["warp"]) / every
    return full / split


def _l1(outputs: list[torch.Tensor], full: list[torch.Tensor], every: int) -> tuple[float, float]:
    """Mean L1 against the full-rate outputs over all frames, and over the in-between frames only."""
    diffs = [float((a - b).abs().mean()) for a, b in zip(outputs, full, strict=True)]
    return float(np.mean(diffs)), float(np.mean([d for i, d in enumerate(diffs) if i % every != 0]))


if __name__ == "__main__":
    main()

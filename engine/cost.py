"""What one live frame costs a model, counted rather than timed: floating-point operations of the
networks on the meta device (shapes only, no weights, no data), so a 60M-parameter config is priced
in a moment on any machine."""

from __future__ import annotations

import functools

import torch
from torch.utils.flop_counter import FlopCounterMode

from engine.config import FommConfig
from engine.generator import SourceCache
from engine.models import build_models


@functools.lru_cache(maxsize=16)
def live_frame_gflops(config: FommConfig) -> float:
    """GFLOP (1e9 multiply-or-add operations) of one live frame of `config`'s networks.

    A live frame, as `AnimationSession.animate` runs it with the source cached: the keypoint detector
    on the driving frame, the dense motion network and the generator's decoder; the source's keypoints
    and encoded features are not counted (computed once per avatar). Measured this way vox-256 costs
    about 89 GFLOP, the default lite-256 about 1.9.
    """
    models = build_models(config, device="meta")
    size = config.frame_size
    frame = torch.empty(1, config.model_params.common_params.num_channels, size, size, device="meta")
    generator = models.generator
    with torch.inference_mode():
        kp_source = models.kp_detector(frame)
        dense = generator.dense_motion_network
        cache = SourceCache(
            generator.encode_source(frame), dense.downsample(frame) if dense is not None else None
        )
        with FlopCounterMode(display=False) as counter:
            kp_driving = models.kp_detector(frame)
            generator(frame, kp_source=kp_source, kp_driving=kp_driving, cache=cache)
    return counter.get_total_flops() / 1e9

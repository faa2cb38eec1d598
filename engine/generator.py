"""Occlusion-aware generator (Sec. 3.2): encodes the source, warps its features by the dense motion,
multiplies by the occlusion map, and decodes. The encoder half can be run once per source image
(`encode_source`) and reused for every driving frame."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.blocks import DownBlock2d, ResBlock2d, SameBlock2d, UpBlock2d
from engine.config import CommonParams, GeneratorParams
from engine.dense_motion import DenseMotionNetwork
from engine.motion import KeypointDict


def deform_input(inp: torch.Tensor, deformation: torch.Tensor) -> torch.Tensor:
    """Backward-warp `inp` by a flow, resizing the flow bilinearly when resolutions differ.

    Shapes: inp (B, C, H, W), deformation (B, h, w, 2) -> (B, C, H, W).
    """
    h, w = inp.shape[2:]
    if deformation.shape[1:3] != (h, w):
        deformation = F.interpolate(deformation.permute(0, 3, 1, 2), size=(h, w), mode="bilinear")
        deformation = deformation.permute(0, 2, 3, 1)
    # the flow stays float32 (see DenseMotionNetwork.deform_source); the result has inp's dtype
    return F.grid_sample(inp.to(deformation.dtype), deformation, align_corners=False).to(inp.dtype)


def warp_features(
    features: torch.Tensor, deformation: torch.Tensor, occlusion_map: torch.Tensor | None
) -> torch.Tensor:
    """The source's features moved to the driving pose and dimmed where the source cannot show it
    (Eq. 6). Shapes: features (B, F, H, W), deformation (B, h, w, 2), occlusion (B, 1, h', w') -> (B, F, H, W)."""
    out = deform_input(features, deformation)
    if occlusion_map is None:
        return out
    if occlusion_map.shape[2:] != out.shape[2:]:
        occlusion_map = F.interpolate(occlusion_map, size=out.shape[2:], mode="bilinear")
    return out * occlusion_map.to(out.dtype)


@dataclass(frozen=True)
class SourceCache:
    """What depends only on the source image: its encoded features (`encode_source`) and its blurred
    copy at the dense motion network's scale (`dense_motion_network.downsample`). None: compute it."""

    features: torch.Tensor | None = None
    motion_source: torch.Tensor | None = None


class OcclusionAwareGenerator(nn.Module):
    """generator(source, kp_source=..., kp_driving=...) -> dict with 'prediction' (B, C, H, W) in [0, 1],
    'deformed', 'occlusion_map', 'mask', 'sparse_deformed', 'deformation'."""

    def __init__(self, common: CommonParams, params: GeneratorParams):
        super().__init__()
        be, mf, n_down = params.block_expansion, params.max_features, params.num_down_blocks
        dm = params.dense_motion_params
        self.dense_motion_network = (
            DenseMotionNetwork(common, dm, params.estimate_occlusion_map) if dm is not None else None
        )
        self.first = SameBlock2d(common.num_channels, be, kernel_size=7, padding=3)
        self.down_blocks = nn.ModuleList(
            [DownBlock2d(min(mf, be * 2**i), min(mf, be * 2 ** (i + 1))) for i in range(n_down)]
        )
        self.up_blocks = nn.ModuleList(
            [
                UpBlock2d(min(mf, be * 2 ** (n_down - i)), min(mf, be * 2 ** (n_down - i - 1)))
                for i in range(n_down)
            ]
        )
        bottleneck_features = min(mf, be * 2**n_down)
        self.bottleneck = nn.Sequential()
        for i in range(params.num_bottleneck_blocks):
            self.bottleneck.add_module(f"r{i}", ResBlock2d(bottleneck_features, kernel_size=3, padding=1))
        self.final = nn.Conv2d(be, common.num_channels, kernel_size=7, padding=3)
        self.estimate_occlusion_map = params.estimate_occlusion_map
        self.num_channels = common.num_channels

    def encode_source(self, source_image: torch.Tensor) -> torch.Tensor:
        """Appearance features of the source. Shapes: (B, C, H, W) -> (B, F, H / 2^n, W / 2^n)."""
        out = self.first(source_image)
        for block in self.down_blocks:
            out = block(out)
        return out

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """Warped features -> image in [0, 1]."""
        out = self.bottleneck(features)
        for block in self.up_blocks:
            out = block(out)
        return torch.sigmoid(self.final(out))

    def forward(
        self,
        source_image: torch.Tensor,
        kp_driving: KeypointDict,
        kp_source: KeypointDict,
        cache: SourceCache | None = None,
        with_deformed: bool = True,
    ) -> dict[str, torch.Tensor]:
        """`cache` (see `SourceCache`) skips recomputing what depends only on an unchanged source;
        `with_deformed=False` skips warping the source image itself (only an inspection overlay shows it)."""
        cache = cache or SourceCache()
        motion_source = cache.motion_source
        out = self.encode_source(source_image) if cache.features is None else cache.features
        result: dict[str, torch.Tensor] = {}
        if self.dense_motion_network is not None:
            dense = self.dense_motion_network(
                source_image=source_image,
                kp_driving=kp_driving,
                kp_source=kp_source,
                motion_source=motion_source,
            )
            result["mask"] = dense["mask"]
            result["sparse_deformed"] = dense["sparse_deformed"]
            result["deformation"] = dense["deformation"]
            if "occlusion_map" in dense:
                result["occlusion_map"] = dense["occlusion_map"]
            out = warp_features(out, dense["deformation"], dense.get("occlusion_map"))
            if with_deformed:
                result["deformed"] = deform_input(source_image, dense["deformation"])
        result["prediction"] = self.decode(out).float()
        return result

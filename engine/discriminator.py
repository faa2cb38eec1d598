"""Multi-scale patch discriminator used by the adversarial configs (vox-adv, taichi-adv)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.config import CommonParams, DiscriminatorParams
from engine.geometry import kp2gaussian, scale_key


class DiscriminatorBlock(nn.Module):
    """Conv (optionally spectral-normalised) + InstanceNorm + LeakyReLU(0.2) + optional 2x2 pooling."""

    def __init__(self, in_features: int, out_features: int, place: tuple[int, int], sn: bool):
        """`place` is (index, count) in the stack: the first block has no norm, the last no pooling."""
        super().__init__()
        index, count = place
        norm, pool = index != 0, index != count - 1
        conv = nn.Conv2d(in_features, out_features, kernel_size=4)
        # The classic spectral_norm keeps the original key layout (weight_orig/_u/_v) of the checkpoints.
        self.conv = nn.utils.spectral_norm(conv) if sn else conv
        self.norm = nn.InstanceNorm2d(out_features, affine=True) if norm else None
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        if self.norm is not None:
            out = self.norm(out)
        out = F.leaky_relu(out, 0.2)
        return F.avg_pool2d(out, (2, 2)) if self.pool else out


class Discriminator(nn.Module):
    """Image (+ keypoint heatmaps when `use_kp`) -> (feature maps, patch prediction map)."""

    def __init__(self, common: CommonParams, params: DiscriminatorParams):
        super().__init__()
        be, mf, n = params.block_expansion, params.max_features, params.num_blocks
        first_in = common.num_channels + (common.num_kp if params.use_kp else 0)
        self.down_blocks = nn.ModuleList(
            [
                DiscriminatorBlock(
                    first_in if i == 0 else min(mf, be * 2**i),
                    min(mf, be * 2 ** (i + 1)),
                    place=(i, n),
                    sn=params.sn,
                )
                for i in range(n)
            ]
        )
        conv = nn.Conv2d(min(mf, be * 2**n), 1, kernel_size=1)
        self.conv = nn.utils.spectral_norm(conv) if params.sn else conv
        self.use_kp = params.use_kp
        self.kp_variance = params.kp_variance

    def forward(
        self, x: torch.Tensor, kp_value: torch.Tensor | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        out = x
        if self.use_kp:
            if kp_value is None:
                raise ValueError("this discriminator was configured with use_kp and needs keypoints")
            out = torch.cat([out, kp2gaussian(kp_value, x.shape[2], x.shape[3], self.kp_variance)], dim=1)
        feature_maps = []
        for block in self.down_blocks:
            out = block(out)
            feature_maps.append(out)
        return feature_maps, self.conv(out)


class MultiScaleDiscriminator(nn.Module):
    """One discriminator per pyramid scale; inputs keyed 'prediction_<scale>' as the image pyramid makes them."""

    def __init__(self, common: CommonParams, params: DiscriminatorParams):
        super().__init__()
        self.scales = params.scales
        self.discs = nn.ModuleDict({scale_key(s): Discriminator(common, params) for s in params.scales})

    def forward(
        self, pyramid: dict[str, torch.Tensor], kp_value: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor | list[torch.Tensor]]:
        out: dict[str, torch.Tensor | list[torch.Tensor]] = {}
        for s in self.scales:
            key = scale_key(s)
            feature_maps, prediction_map = self.discs[key](pyramid[f"prediction_{key}"], kp_value)
            out[f"feature_maps_{key}"] = feature_maps
            out[f"prediction_map_{key}"] = prediction_map
        return out

"""Keypoint detector (Sec. 3.1): an hourglass predicts K heatmaps; keypoints are their soft-argmax and
each Jacobian is the heatmap-weighted average of a predicted 2x2 map."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.blocks import AntiAliasInterpolation2d, Hourglass
from engine.config import CommonParams, KPDetectorParams
from engine.geometry import heatmap_to_keypoints
from engine.motion import KeypointDict


class KPDetector(nn.Module):
    """Image -> {'value': (B, K, 2) in [-1, 1] (x, y), 'jacobian': (B, K, 2, 2)}.

    'jacobian' is absent when `estimate_jacobian` is false. `forward` also accepts
    `return_heatmap=True` to add 'heatmap' (B, K, h, w) for inspection.
    """

    def __init__(self, common: CommonParams, params: KPDetectorParams):
        super().__init__()
        self.num_kp = common.num_kp
        self.temperature = params.temperature
        self.scale_factor = params.scale_factor
        self.predictor = Hourglass(
            params.block_expansion,
            in_features=common.num_channels,
            num_blocks=params.num_blocks,
            max_features=params.max_features,
        )
        self.kp = nn.Conv2d(self.predictor.out_filters, common.num_kp, kernel_size=7, padding=params.pad)
        self.num_jacobian_maps: int | None = None
        if common.estimate_jacobian:
            self.num_jacobian_maps = 1 if params.single_jacobian_map else common.num_kp
            self.jacobian = nn.Conv2d(
                self.predictor.out_filters, 4 * self.num_jacobian_maps, kernel_size=7, padding=params.pad
            )
            # Start from identity Jacobians: zero weights, bias [1, 0, 0, 1] per map.
            nn.init.zeros_(self.jacobian.weight)
            with torch.no_grad():
                assert self.jacobian.bias is not None  # Conv2d built with bias=True
                self.jacobian.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 1.0]).repeat(self.num_jacobian_maps))
        if self.scale_factor != 1:
            self.down = AntiAliasInterpolation2d(common.num_channels, self.scale_factor)

    def forward(self, image: torch.Tensor, return_heatmap: bool = False) -> KeypointDict:
        """Shapes: image (B, C, H, W) in [0, 1] -> value (B, K, 2), jacobian (B, K, 2, 2)."""
        x = self.down(image) if self.scale_factor != 1 else image
        feature_map = self.predictor(x)
        logits = self.kp(feature_map)  # (B, K, h, w)
        b, k, h, w = logits.shape
        # float32 whatever the weights' precision: temperature 0.1 multiplies fp16 rounding by ten
        heatmap = F.softmax(logits.float().view(b, k, -1) / self.temperature, dim=2).view(b, k, h, w)
        out: KeypointDict = {"value": heatmap_to_keypoints(heatmap)}
        if self.num_jacobian_maps is not None:
            jacobian_map = self.jacobian(feature_map).float().view(b, self.num_jacobian_maps, 4, h, w)
            jacobian = (heatmap.unsqueeze(2) * jacobian_map).view(b, k, 4, -1).sum(-1)  # (B, K, 4)
            out["jacobian"] = jacobian.view(b, k, 2, 2)
        if return_heatmap:
            out["heatmap"] = heatmap
        return out

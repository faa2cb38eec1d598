"""Dense motion network (Sec. 3.2): combines the K+1 sparse motions into one dense backward flow with
predicted soft masks, and predicts the occlusion map O_{S<-D}."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.blocks import AntiAliasInterpolation2d, Hourglass
from engine.config import CommonParams, DenseMotionParams
from engine.geometry import kp2gaussian
from engine.motion import KeypointDict, sparse_motions


class DenseMotionNetwork(nn.Module):
    """(source, kp_source, kp_driving) -> {'deformation' (B, h, w, 2), 'mask' (B, K+1, h, w),
    'sparse_deformed' (B, K+1, C, h, w), optional 'occlusion_map' (B, 1, h, w)} at `scale_factor`."""

    def __init__(self, common: CommonParams, params: DenseMotionParams, estimate_occlusion_map: bool = False):
        super().__init__()
        num_kp, num_channels, scale_factor = common.num_kp, common.num_channels, params.scale_factor
        self.hourglass = Hourglass(
            block_expansion=params.block_expansion,
            in_features=(num_kp + 1) * (num_channels + 1),
            max_features=params.max_features,
            num_blocks=params.num_blocks,
        )
        self.mask = nn.Conv2d(self.hourglass.out_filters, num_kp + 1, kernel_size=7, padding=3)
        self.occlusion = (
            nn.Conv2d(self.hourglass.out_filters, 1, kernel_size=7, padding=3)
            if estimate_occlusion_map
            else None
        )
        self.num_kp = num_kp
        self.scale_factor = scale_factor
        self.kp_variance = params.kp_variance
        if scale_factor != 1:
            self.down = AntiAliasInterpolation2d(num_channels, scale_factor)

    def heatmap_representation(
        self, height: int, width: int, kp_source: KeypointDict, kp_driving: KeypointDict
    ) -> torch.Tensor:
        """Difference of driving and source Gaussians, with a zero map for the background.

        Shapes: -> (B, K+1, 1, H, W).
        """
        gaussian_driving = kp2gaussian(kp_driving["value"], height, width, self.kp_variance)
        gaussian_source = kp2gaussian(kp_source["value"], height, width, self.kp_variance)
        heatmap = gaussian_driving - gaussian_source
        zeros = heatmap.new_zeros(heatmap.shape[0], 1, height, width)
        return torch.cat([zeros, heatmap], dim=1).unsqueeze(2)

    @staticmethod
    def deform_source(source: torch.Tensor, motions: torch.Tensor) -> torch.Tensor:
        """Warp the source by each sparse motion. Shapes: (B, C, H, W), (B, K1, H, W, 2) -> (B, K1, C, H, W)."""
        b, k1, h, w, _ = motions.shape
        repeated = source.unsqueeze(1).expand(b, k1, *source.shape[1:]).reshape(b * k1, -1, h, w)
        # sampling positions stay float32 (fp16 is off by a tenth of a pixel at 256 pixels)
        grid = motions.reshape(b * k1, h, w, 2)
        warped = F.grid_sample(repeated.to(grid.dtype), grid, align_corners=False).to(source.dtype)
        return warped.view(b, k1, -1, h, w)

    def downsample(self, source_image: torch.Tensor) -> torch.Tensor:
        """The source at this network's working scale; cacheable while the source is unchanged."""
        return self.down(source_image) if self.scale_factor != 1 else source_image

    def forward(
        self,
        source_image: torch.Tensor,
        kp_driving: KeypointDict,
        kp_source: KeypointDict,
        motion_source: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """`motion_source` (from `downsample`) skips re-blurring an unchanged source."""
        source = self.downsample(source_image) if motion_source is None else motion_source
        b, _, h, w = source.shape
        heatmap = self.heatmap_representation(h, w, kp_source, kp_driving)
        motions = sparse_motions(h, w, kp_source, kp_driving)  # (B, K+1, h, w, 2)
        sparse_deformed = self.deform_source(source, motions)
        features = torch.cat([heatmap.to(source.dtype), sparse_deformed], dim=2).view(b, -1, h, w)
        prediction = self.hourglass(features)
        mask = F.softmax(self.mask(prediction).float(), dim=1)  # (B, K+1, h, w), float32
        deformation = (motions * mask.unsqueeze(-1)).sum(dim=1)  # (B, h, w, 2)
        out = {"sparse_deformed": sparse_deformed, "mask": mask, "deformation": deformation}
        if self.occlusion is not None:
            out["occlusion_map"] = torch.sigmoid(self.occlusion(prediction))
        return out

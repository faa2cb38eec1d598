"""Coordinate grids and keypoint heatmaps.

Convention used everywhere in FOMM Studio: keypoints are in [-1, 1] image coordinates, (x, y) order,
matching `torch.nn.functional.grid_sample`; a grid of size (H, W) includes both ends -1 and 1.
"""

from __future__ import annotations

import torch


def make_coordinate_grid(
    height: int, width: int, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None
) -> torch.Tensor:
    """Pixel-centre coordinates spanning [-1, 1] on both axes, ends included.

    Shapes: returns (H, W, 2) with [..., 0] = x (varies along W) and [..., 1] = y.
    """
    x = torch.arange(width, dtype=dtype, device=device)
    y = torch.arange(height, dtype=dtype, device=device)
    x = 2 * (x / (width - 1)) - 1
    y = 2 * (y / (height - 1)) - 1
    yy = y.view(-1, 1).expand(height, width)
    xx = x.view(1, -1).expand(height, width)
    return torch.stack([xx, yy], dim=2)


def kp2gaussian(kp_value: torch.Tensor, height: int, width: int, kp_variance: float) -> torch.Tensor:
    """Unnormalised Gaussian bump around each keypoint (the heatmap representation of Sec. 3.2).

    Shapes: kp_value (B, K, 2) -> (B, K, H, W).
    """
    grid = make_coordinate_grid(height, width, kp_value.dtype, kp_value.device)  # (H, W, 2)
    diff = grid.view(1, 1, height, width, 2) - kp_value.view(*kp_value.shape[:2], 1, 1, 2)
    return torch.exp(-0.5 * (diff**2).sum(-1) / kp_variance)


def heatmap_to_keypoints(heatmap: torch.Tensor) -> torch.Tensor:
    """Expected coordinate under each (softmax-normalised) heatmap: a soft-argmax.

    Shapes: heatmap (B, K, H, W) summing to 1 over (H, W) -> (B, K, 2).
    """
    height, width = heatmap.shape[2:]
    grid = make_coordinate_grid(height, width, heatmap.dtype, heatmap.device)  # (H, W, 2)
    return (heatmap.unsqueeze(-1) * grid.view(1, 1, height, width, 2)).sum(dim=(2, 3))


def scale_key(scale: float) -> str:
    """Name of a pyramid level / discriminator scale in state dicts: 1 -> '1', 0.5 -> '0-5'."""
    return f"{scale:g}".replace(".", "-")

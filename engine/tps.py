"""Random thin-plate-spline transforms for the equivariance losses (Sec. 3.3, Eq. 7-9).

A transform is an affine part theta plus a TPS part on a regular grid of control points. The radial
term uses the L1 distance to each control point, r^2 log(r + 1e-6), as the reference implementation
does, so that equivariance losses reproduce its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.config import TransformParams
from engine.geometry import make_coordinate_grid


@dataclass(frozen=True)
class TPSTransform:
    """theta (B, 2, 3); control_points (1, P, 2); control_params (B, 1, P)."""

    theta: torch.Tensor
    control_points: torch.Tensor
    control_params: torch.Tensor

    @classmethod
    def random(
        cls,
        batch_size: int,
        params: TransformParams,
        generator: torch.Generator | None = None,
        like: torch.Tensor | None = None,
    ) -> TPSTransform:
        """Identity plus Gaussian noise: sigma_affine on theta, sigma_tps on the spline weights.

        Drawn on the CPU from `generator` (reproducible on any device), then moved to the device and
        dtype of `like` when given: without blocking, so a training step does not wait for the GPU to
        finish the previous one (pageable memory is staged at once, so this is safe)."""
        noise = torch.randn(batch_size, 2, 3, generator=generator) * params.sigma_affine
        theta = noise + torch.eye(2, 3).view(1, 2, 3)
        n = params.points_tps
        control_points = make_coordinate_grid(n, n).view(1, -1, 2)
        control_params = torch.randn(batch_size, 1, n**2, generator=generator) * params.sigma_tps
        if like is None:
            return cls(theta, control_points, control_params)
        device, dtype = like.device, like.dtype
        return cls(
            theta.to(device, dtype, non_blocking=True),
            control_points.to(device, dtype, non_blocking=True),
            control_params.to(device, dtype, non_blocking=True),
        )

    @property
    def batch_size(self) -> int:
        return int(self.theta.shape[0])

    def warp_coordinates(self, coordinates: torch.Tensor) -> torch.Tensor:
        """Apply the transform to points. Shapes: (B, N, 2) or (1, N, 2) -> (B, N, 2)."""
        theta = self.theta.to(coordinates.dtype).unsqueeze(1)  # (B, 1, 2, 3)
        transformed = torch.matmul(theta[..., :2], coordinates.unsqueeze(-1)) + theta[..., 2:]
        transformed = transformed.squeeze(-1)  # (B, N, 2)
        control_points = self.control_points.to(coordinates.dtype)
        control_params = self.control_params.to(coordinates.dtype)
        distances = coordinates.view(coordinates.shape[0], -1, 1, 2) - control_points.view(1, 1, -1, 2)
        distances = distances.abs().sum(-1)  # (B|1, N, P)
        radial = distances**2 * torch.log(distances + 1e-6) * control_params  # (B, N, P)
        return transformed + radial.sum(dim=2).view(self.batch_size, coordinates.shape[1], 1)

    def jacobian(self, coordinates: torch.Tensor) -> torch.Tensor:
        """d warp / d coordinates by autograd, differentiable (create_graph) for training.

        Shapes: (B, N, 2) -> (B, N, 2, 2), rows = output (x, y), columns = input (x, y).
        """
        if not coordinates.requires_grad:
            coordinates = coordinates.detach().requires_grad_(True)
        warped = self.warp_coordinates(coordinates)
        grad_x = torch.autograd.grad(warped[..., 0].sum(), coordinates, create_graph=True)[0]
        grad_y = torch.autograd.grad(warped[..., 1].sum(), coordinates, create_graph=True)[0]
        return torch.stack([grad_x, grad_y], dim=-2)

    def transform_frame(self, frame: torch.Tensor) -> torch.Tensor:
        """Resample a frame under the transform (reflection padding). Shapes: (B, C, H, W) -> same."""
        h, w = frame.shape[2:]
        grid = make_coordinate_grid(h, w, frame.dtype, frame.device).view(1, h * w, 2)
        grid = self.warp_coordinates(grid).view(self.batch_size, h, w, 2)
        return F.grid_sample(frame, grid, padding_mode="reflection", align_corners=False)

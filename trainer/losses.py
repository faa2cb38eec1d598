"""FOMM training objectives (Sec. 3.3 and 4): multi-scale reconstruction, keypoint equivariance, GAN.

`GeneratorFullModel` runs keypoint detector + generator on a (source, driving) batch and returns every
loss term; `DiscriminatorFullModel` gives the discriminator's least-squares loss. Both are plain
modules so that DistributedDataParallel can wrap them. Under mixed precision (`--amp`) the networks
being trained run in the autocast dtype and every loss term in float32 (see trainer.precision).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.blocks import AntiAliasInterpolation2d
from engine.config import FommConfig, LossWeights
from engine.discriminator import MultiScaleDiscriminator
from engine.errors import MissingWeightsError
from engine.generator import OcclusionAwareGenerator
from engine.geometry import scale_key
from engine.keypoint_detector import KPDetector
from engine.motion import inverse_2x2
from engine.tps import TPSTransform
from trainer.precision import float32_region
from trainer.vgg import VGG19_FILE, Vgg19, vgg19_weights_path

PERCEPTUAL_BACKENDS = ("vgg19", "pyramid_l1_ssim")
# Name of the reconstruction term in the loss dict for each backend (used to pick the best checkpoint).
RECONSTRUCTION_TERM = {"vgg19": "perceptual", "pyramid_l1_ssim": "reconstruction"}


class ImagePyramid(nn.Module):
    """Anti-aliased copies of an image at each scale. Shapes: (B, C, H, W) -> {'prediction_<key>': ...}."""

    def __init__(self, scales: tuple[float, ...], num_channels: int):
        super().__init__()
        self.downs = nn.ModuleDict({scale_key(s): AntiAliasInterpolation2d(num_channels, s) for s in scales})

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        return {f"prediction_{key}": down(image) for key, down in self.downs.items()}


def gaussian_window(
    size: int, sigma: float, channels: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Normalised 2-D Gaussian, one per channel for a depthwise conv. Shapes: -> (C, 1, size, size)."""
    coords = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    gauss = torch.exp(-(coords**2) / (2 * sigma**2))
    window = gauss.view(-1, 1) * gauss.view(1, -1)
    return (window / window.sum()).expand(channels, 1, size, size).contiguous()


def ssim(x: torch.Tensor, y: torch.Tensor, window_size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Mean structural similarity (Wang et al. 2004) with a Gaussian window, images in [0, 1].

    The window shrinks (odd, >= 3) for tiny pyramid levels. Shapes: (B, C, H, W) x 2 -> scalar.
    """
    c1, c2 = 0.01**2, 0.03**2
    size = min(window_size, min(x.shape[2:]) - (1 - min(x.shape[2:]) % 2))
    size = max(size, 1)
    window = gaussian_window(size, sigma * size / window_size, x.shape[1], x.device, x.dtype)
    pad = size // 2

    def blur(t: torch.Tensor) -> torch.Tensor:
        padded = F.pad(t, (pad, pad, pad, pad), mode="reflect") if pad else t
        return F.conv2d(padded, window, groups=x.shape[1])

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    score = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return score.mean()


def perceptual_loss(
    vgg: Vgg19,
    pyramid_real: dict[str, torch.Tensor],
    pyramid_fake: dict[str, torch.Tensor],
    weights: tuple[float, ...],
) -> torch.Tensor:
    """Sum over scales and VGG layers of weight_i * mean |f_i(prediction) - f_i(driving)| (Eq. of Sec. 3.3)."""
    total = pyramid_fake[next(iter(pyramid_fake))].new_zeros(())
    for key, fake in pyramid_fake.items():
        real_maps = vgg(pyramid_real[key])
        fake_maps = vgg(fake)
        for weight, f_fake, f_real in zip(weights, fake_maps, real_maps, strict=False):
            total = total + weight * (f_fake - f_real.detach()).abs().mean()
    return total


def l1_ssim_loss(
    pyramid_real: dict[str, torch.Tensor], pyramid_fake: dict[str, torch.Tensor], weights: tuple[float, ...]
) -> torch.Tensor:
    """Weights-free stand-in: per scale (L1 + 1 - SSIM) * sum(weights) / number of scales."""
    scale_weight = sum(weights) / len(pyramid_fake)
    total = pyramid_fake[next(iter(pyramid_fake))].new_zeros(())
    for key, fake in pyramid_fake.items():
        real = pyramid_real[key].detach()
        total = total + scale_weight * ((fake - real).abs().mean() + 1 - ssim(fake, real))
    return total


def equivariance_losses(
    kp_driving: dict[str, torch.Tensor],
    transformed_kp: dict[str, torch.Tensor],
    transform: TPSTransform,
    weight_value: float,
    weight_jacobian: float,
) -> dict[str, torch.Tensor]:
    """Keypoints (Eq. 7-8) and Jacobians (Eq. 9) must follow a known TPS warp of the driving frame.

    Shapes: values (B, K, 2), jacobians (B, K, 2, 2) -> scalar terms.
    """
    out: dict[str, torch.Tensor] = {}
    if weight_value != 0:
        warped = transform.warp_coordinates(transformed_kp["value"])
        out["equivariance_value"] = weight_value * (kp_driving["value"] - warped).abs().mean()
    if weight_jacobian != 0 and "jacobian" in kp_driving:
        chained = torch.matmul(transform.jacobian(transformed_kp["value"]), transformed_kp["jacobian"])
        # Closed form: LAPACK's inverse checks for singular matrices on the host, a sync every step.
        product = torch.matmul(inverse_2x2(kp_driving["jacobian"].float()), chained.float())  # (B, K, 2, 2)
        eye = torch.eye(2, device=product.device, dtype=product.dtype).view(1, 1, 2, 2)
        out["equivariance_jacobian"] = weight_jacobian * (eye - product).abs().mean()
    return out


def generator_gan_losses(
    discriminator: MultiScaleDiscriminator,
    pyramid_real: dict[str, torch.Tensor],
    pyramid_fake: dict[str, torch.Tensor],
    kp_value: torch.Tensor,
    weights: LossWeights,
) -> dict[str, torch.Tensor]:
    """LSGAN generator term mean((1 - D(fake))^2) per scale, plus feature matching on D's features;
    `weights.generator_gan` and `weights.feature_matching` weigh them."""
    gan_weight, feature_matching = weights.generator_gan, weights.feature_matching
    fake_out = discriminator(pyramid_fake, kp_value=kp_value)
    real_out = discriminator(pyramid_real, kp_value=kp_value)
    gan = pyramid_fake[next(iter(pyramid_fake))].new_zeros(())
    matching = gan.new_zeros(())
    for scale in discriminator.scales:
        key = scale_key(scale)
        gan = gan + gan_weight * ((1 - fake_out[f"prediction_map_{key}"]) ** 2).mean()  # type: ignore[operator]
        pairs = zip(real_out[f"feature_maps_{key}"], fake_out[f"feature_maps_{key}"], strict=True)
        for weight, (f_real, f_fake) in zip(feature_matching, pairs, strict=False):
            if weight != 0:
                matching = matching + weight * (f_real - f_fake).abs().mean()
    out = {"gen_gan": gan}
    if any(w != 0 for w in feature_matching):
        out["feature_matching"] = matching
    return out


class GeneratorFullModel(nn.Module):
    """(source, driving) batch -> (loss terms, generated). Holds the networks the generator step trains.

    The 'vgg19' backend needs `vgg` (see `trainer.vgg.load_vgg19`) whenever a perceptual weight is not
    zero: without it the model refuses to be built rather than quietly train with another loss.
    'pyramid_l1_ssim' is the weights-free alternative.
    """

    def __init__(
        self,
        kp_detector: KPDetector,
        generator: OcclusionAwareGenerator,
        config: FommConfig,
        backend: str,
        vgg: Vgg19 | None,
    ):
        super().__init__()
        if (
            backend == "vgg19"
            and vgg is None
            and any(w != 0 for w in config.train_params.loss_weights.perceptual)
        ):
            raise _vgg19_missing(config.train_params.vgg19_weights)
        self.kp_detector = kp_detector
        self.generator = generator
        self.train_params = config.train_params
        self.pyramid = ImagePyramid(
            config.train_params.scales, config.model_params.common_params.num_channels
        )
        self.backend = backend
        self.vgg = vgg

    def forward(
        self,
        source: torch.Tensor,
        driving: torch.Tensor,
        transform_seed: int,
        discriminator: MultiScaleDiscriminator | None = None,
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Shapes: source, driving (B, 3, H, W) in [0, 1]. The seed fixes the random TPS warp.

        The discriminator is an argument, not a submodule, so DDP of this model never owns its weights.
        """
        kp_source = self.kp_detector(source)
        kp_driving = self.kp_detector(driving)
        generated = self.generator(source, kp_source=kp_source, kp_driving=kp_driving)
        generated.update({"kp_source": kp_source["value"], "kp_driving": kp_driving["value"]})
        with float32_region(driving.device):
            losses = self._image_losses(
                driving.float(),
                generated["prediction"].float(),
                kp_driving["value"].detach().float(),
                discriminator,
            )
        weights = self.train_params.loss_weights
        if (
            weights.equivariance_value != 0 or weights.equivariance_jacobian != 0
        ) and self.train_params.transform_params is not None:
            losses.update(self._equivariance(driving, kp_driving, transform_seed))
        return losses, generated

    def _image_losses(
        self,
        driving: torch.Tensor,
        prediction: torch.Tensor,
        kp_value: torch.Tensor,
        discriminator: MultiScaleDiscriminator | None,
    ) -> dict[str, torch.Tensor]:
        """Reconstruction (VGG-19 perceptual or pyramid L1 + SSIM) and the generator's GAN terms.
        Shapes: driving, prediction (B, 3, H, W) float32; kp_value (B, K, 2)."""
        weights = self.train_params.loss_weights
        pyramid_real = self.pyramid(driving)
        pyramid_fake = self.pyramid(prediction)
        losses: dict[str, torch.Tensor] = {}
        if sum(abs(w) for w in weights.perceptual) != 0:
            if self.backend == "vgg19" and self.vgg is not None:
                losses["perceptual"] = perceptual_loss(
                    self.vgg, pyramid_real, pyramid_fake, weights.perceptual
                )
            else:
                losses["reconstruction"] = l1_ssim_loss(pyramid_real, pyramid_fake, weights.perceptual)
        if weights.generator_gan != 0 and discriminator is not None:
            losses.update(generator_gan_losses(discriminator, pyramid_real, pyramid_fake, kp_value, weights))
        return losses

    def _equivariance(
        self, driving: torch.Tensor, kp_driving: dict[str, torch.Tensor], seed: int
    ) -> dict[str, torch.Tensor]:
        tp = self.train_params.transform_params
        if tp is None:
            return {}
        rng = torch.Generator().manual_seed(seed)
        with float32_region(driving.device):
            transform = TPSTransform.random(driving.shape[0], tp, generator=rng, like=driving.float())
            transformed_frame = transform.transform_frame(driving.float())
        transformed_kp = self.kp_detector(transformed_frame)  # the network: in the autocast dtype
        w = self.train_params.loss_weights
        with float32_region(driving.device):
            return equivariance_losses(
                _float32(kp_driving),
                _float32(transformed_kp),
                transform,
                w.equivariance_value,
                w.equivariance_jacobian,
            )


def _float32(kp: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: t.float() for name, t in kp.items()}


def _vgg19_missing(explicit: str | None) -> MissingWeightsError:
    path = vgg19_weights_path(explicit)
    return MissingWeightsError(
        f"perceptual backend 'vgg19' needs the VGG-19 network and got none: load torchvision's {VGG19_FILE} "
        f"(put it in {path.parent}, or name it in train_params.vgg19_weights) with trainer.vgg.load_vgg19, "
        "or choose the weights-free perceptual backend 'pyramid_l1_ssim'"
    )


class DiscriminatorFullModel(nn.Module):
    """LSGAN discriminator loss on real driving vs detached prediction pyramids."""

    def __init__(self, discriminator: MultiScaleDiscriminator, config: FommConfig):
        super().__init__()
        self.discriminator = discriminator
        self.pyramid = ImagePyramid(
            config.train_params.scales, config.model_params.common_params.num_channels
        )
        self.weight = config.train_params.loss_weights.discriminator_gan

    def forward(
        self, driving: torch.Tensor, prediction: torch.Tensor, kp_value: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """mean((1 - D(real))^2 + D(fake)^2) per scale, times discriminator_gan (in float32)."""
        real_out = self.discriminator(self.pyramid(driving), kp_value=kp_value.detach())
        fake_out = self.discriminator(self.pyramid(prediction.detach()), kp_value=kp_value.detach())
        total = driving.new_zeros((), dtype=torch.float32)
        with float32_region(driving.device):
            for scale in self.discriminator.scales:
                key = f"prediction_map_{scale_key(scale)}"
                real, fake = real_out[key].float(), fake_out[key].float()  # type: ignore[union-attr]
                total = total + self.weight * ((1 - real) ** 2 + fake**2).mean()
        return {"disc_gan": total}

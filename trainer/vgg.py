"""VGG-19 feature extractor for the perceptual loss (Sec. 4, after Johnson et al.), without torchvision.

The layers are numbered as torchvision's `vgg19().features`, so the standard ImageNet file
`vgg19-dcbb9e9d.pth` (keys `features.N.weight` / `features.N.bias`; `classifier.*` is ignored)
loads strictly. The loss uses relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from engine.checkpoint import load_checkpoint
from engine.errors import CheckpointError, MissingWeightsError

VGG19_FILE = "vgg19-dcbb9e9d.pth"
VGG19_URL = f"https://download.pytorch.org/models/{VGG19_FILE}"
# Channel plan of VGG-19 ('M' = 2x2 max pooling); same order as torchvision's `features`.
_PLAN: tuple[int | str, ...] = (
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
)
# Slices of `features` ending at relu1_1, relu2_1, relu3_1, relu4_1, relu5_1.
_SLICES = ((0, 2), (2, 7), (7, 12), (12, 21), (21, 30))


def vgg19_features() -> nn.Sequential:
    """An untrained `features` stack with torchvision's indices (conv, ReLU, max-pool)."""
    layers: list[nn.Module] = []
    channels = 3
    for item in _PLAN:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, int(item), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = int(item)
    return nn.Sequential(*layers)


class Vgg19(nn.Module):
    """Frozen VGG-19 -> the five relu_k_1 feature maps of an ImageNet-normalised image.

    Shapes: (B, 3, H, W) in [0, 1] -> list of 5 maps (B, 64..512, H / 2^k, W / 2^k).
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = vgg19_features()
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        out = (image - self.mean) / self.std
        maps = []
        for start, end in _SLICES:
            for index in range(start, end):
                out = self.features[index](out)
            maps.append(out)
        return maps


def default_vgg19_path() -> Path:
    """Where torch hub keeps the file: $TORCH_HOME/hub/checkpoints (default ~/.cache/torch)."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch"
    )
    return Path(torch_home) / "hub" / "checkpoints" / VGG19_FILE


def vgg19_weights_path(explicit: str | Path | None) -> Path:
    """Where the VGG-19 file is looked for: `explicit` (--vgg-weights, train_params.vgg19_weights) when
    given, else torch hub's default location."""
    return Path(explicit).expanduser() if explicit else default_vgg19_path()


def missing_vgg19_weights(explicit: str | Path | None) -> Path | None:
    """The path the VGG-19 file should be at when it is not there; None when it is."""
    path = vgg19_weights_path(explicit)
    return None if path.is_file() else path


def resolve_vgg19_weights(explicit: str | Path | None, download: bool = False) -> Path:
    """The VGG-19 weight file to use; downloads only when asked; otherwise a clear error."""
    path = vgg19_weights_path(explicit)
    if path.is_file():
        return path
    if download:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(
            VGG19_URL, str(path), hash_prefix=VGG19_FILE.split("-")[1].split(".")[0]
        )
        return path
    raise MissingWeightsError(
        f"VGG-19 weights not found: {path}. The perceptual loss needs torchvision's ImageNet file {VGG19_FILE}: "
        f"put it in {path.parent} (or pass --vgg-weights FILE / set train_params.vgg19_weights), rerun with "
        f"--download-vgg to fetch it from {VGG19_URL}, or choose the weights-free loss with "
        f"--perceptual-backend pyramid_l1_ssim"
    )


def load_vgg19(path: str | Path) -> Vgg19:
    """A frozen `Vgg19` with the weights of a torchvision-layout file (strict on `features.*`)."""
    state = load_checkpoint(path)
    features = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
    model = Vgg19()
    expected = model.features.state_dict()
    missing = sorted(set(expected) - set(features))
    if missing:
        raise CheckpointError(
            f"{path}: not a VGG-19 weight file (missing features.{missing[0]} and "
            f"{len(missing) - 1} more; expected torchvision's {VGG19_FILE} layout)"
        )
    wrong = [k for k, v in expected.items() if tuple(features[k].shape) != tuple(v.shape)]
    if wrong:
        raise CheckpointError(
            f"{path}: features.{wrong[0]} has shape {tuple(features[wrong[0]].shape)}, "
            f"VGG-19 needs {tuple(expected[wrong[0]].shape)}"
        )
    model.features.load_state_dict({k: features[k] for k in expected}, strict=True)
    return model.eval()

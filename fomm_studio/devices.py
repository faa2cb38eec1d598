"""Which device a model runs on: the choices offered to the user, the device a choice resolves to, and
what the user is told about it.

'auto', the default of the Live and Animate tabs, `main.py` and `fomm animate/reconstruct`, is the
current CUDA GPU when torch sees one, else the CPU. What a run actually used is reported with its GPU
index and name ('cuda:0', 'NVIDIA H200'), and a model too heavy for live use on the CPU comes with a
warning that says what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine import FommModels, live_frame_gflops, resolve_device

# Live frames above this cost run at a few frames a second at best on a CPU (the default lite-256
# needs 1.9 GFLOP, ~26 ms a frame on 2 cores; vox-256 needs 89, 1 to 2 frames a second there).
HEAVY_GFLOPS = 5.0
LITE_GFLOPS = 1.9


@dataclass(frozen=True)
class DeviceChoice:
    """One entry of a device picker: the value handed to the loaders and the text shown."""

    value: str
    label: str


def device_choices() -> list[DeviceChoice]:
    """Auto, the CPU, and each CUDA GPU torch sees (by index and name)."""
    choices = [DeviceChoice("auto", "Auto (GPU if present)"), DeviceChoice("cpu", "CPU")]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            choices.append(DeviceChoice(f"cuda:{index}", f"GPU {index}: {torch.cuda.get_device_name(index)}"))
    return choices


def concrete_device(device: str | torch.device) -> torch.device:
    """`resolve_device` with the GPU index filled in ('auto' on a GPU machine -> 'cuda:0'), so the
    device a model is cached and loaded under is the one it is reported on."""
    resolved = resolve_device(device)
    if resolved.type == "cuda" and resolved.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return resolved


def device_name(device: torch.device) -> str:
    """'CPU', or the GPU's name as the driver reports it."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"


@dataclass(frozen=True)
class DeviceReport:
    """Where a loaded model runs and what one live frame of it costs."""

    device: str  # 'cpu', 'cuda:0'
    name: str  # 'CPU' or the GPU's name
    gflops: float  # one live frame (see engine.live_frame_gflops)

    @property
    def label(self) -> str:
        """'cpu', or 'cuda:0 · <GPU name>'."""
        return self.device if self.device == "cpu" else f"{self.device} · {self.name}"

    @property
    def warning(self) -> str:
        """Empty, or why this model will be slow here and what to do about it (heavy model on the CPU)."""
        if not self.device.startswith("cpu") or self.gflops <= HEAVY_GFLOPS:
            return ""
        return (
            f"This model needs about {self.gflops:.0f} GFLOP a frame: on the CPU it runs at a few frames "
            "a second at best. Use a GPU (Device: Auto or a CUDA device) or a lite/distilled model such as "
            f"the default lite-256 ({LITE_GFLOPS} GFLOP a frame)."
        )


def device_report(models: FommModels) -> DeviceReport:
    """What the GUI and the headless run say about where `models` run."""
    device = concrete_device(models.device)
    return DeviceReport(str(device), device_name(device), live_frame_gflops(models.config))

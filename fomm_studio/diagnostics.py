"""The Live tab's "Copy diagnostics": everything a bug report about the live view needs, as plain text
(model, device, backend, per-stage milliseconds, camera mode, versions, OS). Built here, without Qt, so
it is tested alone; the GUI only puts it on the clipboard."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import torch

from fomm_studio.live.source_info import SourceInfo

# What the report names -> the distribution that carries its version (no import: PySide6 stays out).
DISTRIBUTIONS = (
    ("FOMM Studio", ("fomm-studio",)),
    ("torch", ("torch",)),
    ("PySide6", ("PySide6-Essentials", "PySide6")),
    ("OpenCV", ("opencv-python", "opencv-python-headless", "opencv-contrib-python")),
    ("OpenVINO", ("openvino",)),
    ("numpy", ("numpy",)),
    ("pyvirtualcam", ("pyvirtualcam",)),
)


@dataclass(frozen=True)
class LiveDiagnostics:
    """What the Live tab knows when the button is pressed. `stage_ms`: recent median per stage;
    `source` None before the first frame; `device` e.g. 'cuda:0 · NVIDIA H200' or 'cpu'."""

    model_name: str
    config_path: Path | None  # None: detected from the checkpoint's tensors
    checkpoint_path: Path
    device: str = "not started"
    backend: str = "not started"
    stage_ms: Mapping[str, float] = field(default_factory=dict)
    source: SourceInfo | None = None
    fps: float | None = None


def versions() -> dict[str, str]:
    """Installed versions of the app and the libraries bug reports depend on, plus Python and the OS."""
    found = {"Python": f"{platform.python_version()} ({platform.python_implementation()})"}
    for label, names in DISTRIBUTIONS:
        found[label] = _version(names)
    found["CUDA (torch build)"] = torch.version.cuda or "none (CPU build)"
    found["OS"] = f"{platform.platform()} ({platform.machine() or 'unknown machine'})"
    return found


def _version(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def diagnostics_text(info: LiveDiagnostics, installed: Mapping[str, str] | None = None) -> str:
    """The report, one 'key: value' a line under a few headings. `installed` defaults to `versions()`."""
    installed = versions() if installed is None else installed
    stages = ", ".join(f"{name} {ms:.1f} ms" for name, ms in info.stage_ms.items()) or "no frames yet"
    total = sum(info.stage_ms.values())
    lines = [
        "FOMM Studio diagnostics",
        "",
        "[model]",
        f"name: {info.model_name}",
        f"config: {info.config_path or 'detected from the checkpoint'}",
        f"checkpoint: {info.checkpoint_path}",
        "",
        "[live view]",
        f"device: {info.device}",
        f"backend: {info.backend}",
        f"stages: {stages}" + (f" (total {total:.1f} ms)" if info.stage_ms else ""),
        f"fps: {info.fps:.1f}" if info.fps is not None else "fps: not running",
        f"camera: {info.source.describe() if info.source is not None else 'no frame yet'}",
        "",
        "[versions]",
        *(f"{name}: {version}" for name, version in installed.items()),
    ]
    return "\n".join(lines) + "\n"

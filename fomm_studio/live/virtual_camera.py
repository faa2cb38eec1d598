"""Optional virtual camera output (pyvirtualcam), so the avatar can be a webcam in video calls.

pyvirtualcam is an optional dependency (`pip install pyvirtualcam`) and also needs a backend:
v4l2loopback on Linux, OBS Studio's virtual camera on Windows and macOS. `availability()` says
which part is missing, so the GUI can disable its button with a useful tooltip.
"""

from __future__ import annotations

import glob
import importlib.util
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import FommError


class VirtualCameraError(FommError):
    """The virtual camera could not be started or fed."""


@dataclass(frozen=True)
class Availability:
    """Whether a virtual camera can be used here, and if not, what to install."""

    available: bool
    reason: str


def availability() -> Availability:
    """Whether a virtual camera can be started here, and if not, what to install."""
    if importlib.util.find_spec("pyvirtualcam") is None:
        return Availability(
            False,
            "Virtual camera needs the pyvirtualcam package: pip install pyvirtualcam "
            "(plus v4l2loopback on Linux or OBS Studio on Windows/macOS).",
        )
    if sys.platform.startswith("linux") and not _loopback_devices():
        return Availability(
            False,
            "No v4l2loopback device found: sudo apt install v4l2loopback-dkms && "
            "sudo modprobe v4l2loopback exclusive_caps=1",
        )
    return Availability(True, "Send the animated output to a virtual webcam")


def _loopback_devices() -> list[str]:
    """/dev/video* devices driven by v4l2loopback (read from sysfs)."""
    found = []
    for name_file in glob.glob("/sys/class/video4linux/video*/name"):
        try:
            with open(name_file, encoding="utf-8") as handle:
                text = handle.read().lower()
        except OSError:
            continue
        if "loopback" in text or "virtual" in text:
            found.append(name_file.split("/")[-2])
    return found


class VirtualCamera:
    """A running virtual camera of fixed size; `send` takes uint8 RGB frames of that size."""

    def __init__(self, width: int, height: int, fps: float):
        state = availability()
        if not state.available:
            raise VirtualCameraError(state.reason)
        import pyvirtualcam

        try:
            self._camera: Any = pyvirtualcam.Camera(width=width, height=height, fps=fps)
        except RuntimeError as exc:
            raise VirtualCameraError(f"virtual camera could not start: {exc}") from exc
        self.device = str(self._camera.device)
        self.size = (width, height)

    def send(self, frame: np.ndarray) -> None:
        if frame.shape[1::-1] != self.size:
            raise VirtualCameraError(
                f"virtual camera expects {self.size[0]}x{self.size[1]} frames, "
                f"got {frame.shape[1]}x{frame.shape[0]}"
            )
        self._camera.send(np.ascontiguousarray(frame))

    def close(self) -> None:
        self._camera.close()

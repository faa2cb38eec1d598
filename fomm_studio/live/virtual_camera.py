"""Virtual camera output (pyvirtualcam), so the avatar can be a webcam in video calls.

pyvirtualcam is installed with the app, but it also needs a backend the operating system provides:
v4l2loopback on Linux, OBS Studio's virtual camera on macOS, OBS Studio or Unity Capture on Windows.
`availability()` says which part is missing (on Linux it can look for the loopback device; elsewhere
only starting the camera tells), and a camera that cannot start names what to install for this OS.
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


LINUX_BACKEND = (
    "install v4l2loopback and load it: sudo apt install v4l2loopback-dkms && "
    "sudo modprobe v4l2loopback exclusive_caps=1"
)
MACOS_BACKEND = (
    "install OBS Studio 26.1 or newer (obsproject.com) and start its Virtual Camera once, so macOS "
    "registers it"
)
WINDOWS_BACKEND = (
    "install OBS Studio 26.0 or newer (obsproject.com; its Virtual Camera) or Unity Capture "
    "(github.com/schellingb/UnityCapture)"
)


def backend_hint(platform: str | None = None) -> str:
    """What to install on `platform` (`sys.platform` by default) for pyvirtualcam to have a backend."""
    platform = sys.platform if platform is None else platform
    if platform == "darwin":
        return MACOS_BACKEND
    if platform in ("win32", "cygwin"):
        return WINDOWS_BACKEND
    return LINUX_BACKEND


def availability() -> Availability:
    """Whether a virtual camera can be started here, and if not, what to install."""
    if importlib.util.find_spec("pyvirtualcam") is None:
        return Availability(
            False,
            "Virtual camera needs the pyvirtualcam package (pip install pyvirtualcam), then "
            f"{backend_hint()}.",
        )
    if sys.platform.startswith("linux") and not _loopback_devices():
        return Availability(False, f"No v4l2loopback device found: {LINUX_BACKEND}")
    needs = "" if sys.platform.startswith("linux") else f" (needs a backend: {backend_hint()})"
    return Availability(True, f"Send the animated output to a virtual webcam{needs}")


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
        except RuntimeError as exc:  # pyvirtualcam's "no backend found", a busy device, ...
            raise VirtualCameraError(
                f"virtual camera could not start: {str(exc).rstrip('.')}. To get one, {backend_hint()}"
            ) from exc
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

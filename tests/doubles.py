"""Test doubles shared by several test packages (no Qt here)."""

from __future__ import annotations

import numpy as np
import torch
from pytest import MonkeyPatch

from fomm_studio.live.feeds import CameraLostError, FrameFeed, SyntheticFeed, _ContextFeed
from fomm_studio.live.source_info import feed_kind


class FlakyFeed(_ContextFeed):  # `with feed:` opens and always closes, as the real feeds
    """A frame feed that drops out like a camera unplugged and plugged back in.

    Reads pass through to `inner`, except that read attempts number `fail_after + 1` to
    `fail_after + recover_after` raise `CameraLostError`. Attempts are counted across close/open, so
    reopening after the failures recovers; `attempts` tells a test how often the loop tried.
    """

    def __init__(self, inner: FrameFeed, fail_after: int, recover_after: int = 1):
        self.inner = inner
        self.name = inner.name
        self.fail_after, self.recover_after = fail_after, recover_after
        self.attempts = 0
        self.fps: float | None = inner.fps
        self.kind = feed_kind(inner)

    def open(self) -> None:
        self.inner.open()
        self.fps = self.inner.fps

    def read(self) -> np.ndarray:
        self.attempts += 1
        if self.fail_after < self.attempts <= self.fail_after + self.recover_after:
            raise CameraLostError(f"{self.name} stopped delivering frames (simulated)")
        return self.inner.read()

    def close(self) -> None:
        self.inner.close()


class WebcamStandIn(SyntheticFeed):
    """The synthetic face, reporting itself as a real camera (what a webcam's `CameraFeed` says): the
    tests have no webcam, and the app treats a camera differently (the default model's hint)."""

    kind = "camera"

    def __init__(self, size: int = 96):
        super().__init__(size=size, fps=30.0, realtime=False)
        self.name = "camera 0"


def stub_gpus(monkeypatch: MonkeyPatch, names: tuple[str, ...], current: int = 0) -> None:
    """Make torch report CUDA GPUs named `names` (`current` the current one) on a machine without any:
    enough for device choices, 'auto' and the names shown; nothing may run on them."""

    def device_name(device: int | torch.device | None = None) -> str:
        index = device if isinstance(device, int) else getattr(device, "index", None)
        return names[current if index is None else index]

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(names))
    monkeypatch.setattr(torch.cuda, "current_device", lambda: current)
    monkeypatch.setattr(torch.cuda, "get_device_name", device_name)

"""Virtual camera output, driven through a stand-in pyvirtualcam (no v4l2loopback device here)."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from typing import ClassVar

import numpy as np
import pytest

from fomm_studio.live import virtual_camera
from fomm_studio.live.messages import SetVirtualCamera
from fomm_studio.live.pipeline import LivePipeline
from fomm_studio.live.virtual_camera import VirtualCamera, VirtualCameraError, availability


class FakeCamera:
    """Records what pyvirtualcam.Camera would have been given."""

    opened: ClassVar[list[FakeCamera]] = []
    fail_with: ClassVar[str | None] = None

    def __init__(self, width: int, height: int, fps: float):
        if FakeCamera.fail_with:
            raise RuntimeError(FakeCamera.fail_with)
        self.width, self.height, self.fps = width, height, fps
        self.device = "/dev/video9"
        self.frames: list[np.ndarray] = []
        self.closed = False
        FakeCamera.opened.append(self)

    def send(self, frame: np.ndarray) -> None:
        assert frame.flags["C_CONTIGUOUS"] and frame.dtype == np.uint8
        self.frames.append(frame.copy())

    def close(self) -> None:
        self.closed = True


@pytest.fixture()
def fake_pyvirtualcam(monkeypatch: pytest.MonkeyPatch) -> type[FakeCamera]:
    module = types.ModuleType("pyvirtualcam")
    module.__spec__ = importlib.machinery.ModuleSpec("pyvirtualcam", None)
    module.Camera = FakeCamera  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyvirtualcam", module)
    monkeypatch.setattr(virtual_camera, "_loopback_devices", lambda: ["video9"])
    FakeCamera.opened, FakeCamera.fail_with = [], None
    return FakeCamera


def test_missing_package_or_device_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyvirtualcam", None)  # as if not installed
    monkeypatch.setattr(virtual_camera.importlib.util, "find_spec", lambda _name: None)
    state = availability()
    assert not state.available and "pip install pyvirtualcam" in state.reason
    with pytest.raises(VirtualCameraError, match="pip install pyvirtualcam"):
        VirtualCamera(64, 64, 25.0)


def test_no_loopback_device_on_linux_is_explained(
    fake_pyvirtualcam: type[FakeCamera], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(virtual_camera.sys, "platform", "linux")
    monkeypatch.setattr(virtual_camera, "_loopback_devices", lambda: [])
    state = availability()
    assert not state.available and "v4l2loopback" in state.reason


def test_frames_reach_the_camera_and_wrong_sizes_are_refused(fake_pyvirtualcam: type[FakeCamera]) -> None:
    camera = VirtualCamera(64, 48, 25.0)
    frame = np.full((48, 64, 3), 7, np.uint8)
    camera.send(frame)
    assert np.array_equal(fake_pyvirtualcam.opened[0].frames[0], frame)
    with pytest.raises(VirtualCameraError, match="expects 64x48 frames, got 48x64"):
        camera.send(np.zeros((64, 48, 3), np.uint8))
    camera.close()
    assert fake_pyvirtualcam.opened[0].closed


def test_a_backend_that_fails_to_start_is_an_error_not_a_crash(fake_pyvirtualcam: type[FakeCamera]) -> None:
    fake_pyvirtualcam.fail_with = "device busy"
    with pytest.raises(VirtualCameraError, match="could not start: device busy"):
        VirtualCamera(64, 64, 25.0)


def test_live_pipeline_sends_its_output_and_releases_the_camera(
    fake_pyvirtualcam: type[FakeCamera], tiny_pipeline: LivePipeline
) -> None:
    tiny_pipeline.apply(SetVirtualCamera(True))
    frames = [tiny_pipeline.step() for _ in range(3)]
    camera = fake_pyvirtualcam.opened[0]
    assert (camera.width, camera.height) == (64, 64) and len(camera.frames) == 3
    assert np.array_equal(camera.frames[-1], frames[-1].panes.output)  # what the output pane shows
    assert any("Virtual camera on: /dev/video9" in n.text for n in tiny_pipeline.take_notices())
    tiny_pipeline.close()
    assert camera.closed


def test_live_pipeline_reports_a_camera_that_cannot_start(
    fake_pyvirtualcam: type[FakeCamera], tiny_pipeline: LivePipeline
) -> None:
    fake_pyvirtualcam.fail_with = "device busy"
    tiny_pipeline.take_notices()  # the fixture's avatar notice
    tiny_pipeline.apply(SetVirtualCamera(True))
    notices = tiny_pipeline.take_notices()
    assert [n.kind for n in notices] == ["error"] and "device busy" in notices[0].text
    tiny_pipeline.close()


@pytest.mark.parametrize(
    ("platform", "names"),
    [
        ("linux", ("v4l2loopback-dkms", "modprobe v4l2loopback")),
        ("darwin", ("OBS Studio 26.1", "Virtual Camera")),
        ("win32", ("OBS Studio 26.0", "Unity Capture")),
    ],
)
def test_a_camera_without_a_backend_names_what_to_install_on_this_os(
    fake_pyvirtualcam: type[FakeCamera],
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    names: tuple[str, ...],
) -> None:
    monkeypatch.setattr(virtual_camera.sys, "platform", platform)
    fake_pyvirtualcam.fail_with = "No camera registered. Did you install any camera?"  # pyvirtualcam's words
    with pytest.raises(VirtualCameraError) as caught:
        VirtualCamera(64, 64, 25.0)
    message = str(caught.value)
    assert message.startswith("virtual camera could not start: No camera registered")
    assert all(name in message for name in names)
    others = {"linux": "OBS", "darwin": "Unity Capture", "win32": "v4l2loopback"}
    assert others[platform] not in message  # only this OS's advice


def test_the_tooltip_names_the_backend_this_os_needs(
    fake_pyvirtualcam: type[FakeCamera], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(virtual_camera.sys, "platform", "darwin")
    state = availability()
    assert state.available and "OBS Studio" in state.reason and "v4l2loopback" not in state.reason
    monkeypatch.setattr(virtual_camera.importlib.util, "find_spec", lambda _name: None)
    state = availability()
    assert not state.available and "pip install pyvirtualcam" in state.reason and "OBS Studio" in state.reason


def test_pyvirtualcam_is_a_dependency_of_the_app() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text()
    dependencies = text.split("dependencies = [", 1)[1].split("]", 1)[0]  # [project] dependencies
    assert '"pyvirtualcam>=' in dependencies

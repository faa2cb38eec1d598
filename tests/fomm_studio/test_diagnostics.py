"""The text "Copy diagnostics" puts on the clipboard: every part a live-view bug report needs."""

from __future__ import annotations

import platform
from pathlib import Path

from fomm_studio.diagnostics import LiveDiagnostics, diagnostics_text, versions
from fomm_studio.live.source_info import SourceInfo

INFO = LiveDiagnostics(
    model_name="Default lite 256",
    config_path=Path("/models/lite-256.yaml"),
    checkpoint_path=Path("/models/default-lite-256.pth.tar"),
    device="cuda:0 · NVIDIA H200",
    backend="openvino",
    stage_ms={"capture": 1.25, "crop": 2.0, "keypoints": 3.5, "generator": 20.0, "display": 4.0},
    source=SourceInfo("camera", "camera 0", 1280, 720, 30.0),
    fps=24.46,
)


def test_the_text_names_model_device_backend_stages_camera_and_versions() -> None:
    text = diagnostics_text(INFO, {"FOMM Studio": "0.1.0", "torch": "2.13.0", "OS": "Plan 9"})
    lines = text.splitlines()
    for line in (
        "name: Default lite 256",
        "config: /models/lite-256.yaml",
        "checkpoint: /models/default-lite-256.pth.tar",
        "device: cuda:0 · NVIDIA H200",
        "backend: openvino",
        "stages: capture 1.2 ms, crop 2.0 ms, keypoints 3.5 ms, generator 20.0 ms, display 4.0 ms "
        "(total 30.8 ms)",
        "fps: 24.5",
        "camera: camera 0 (camera), 1280x720 at 30 fps",
        "FOMM Studio: 0.1.0",
        "torch: 2.13.0",
        "OS: Plan 9",
    ):
        assert line in lines, f"{line!r} missing from:\n{text}"
    assert "<" not in text and text.endswith("\n")


def test_before_the_first_frame_it_says_so_instead_of_inventing_numbers() -> None:
    info = LiveDiagnostics("tiny", Path("t.yaml"), Path("t.pth.tar"))
    lines = diagnostics_text(info, {}).splitlines()
    assert "stages: no frames yet" in lines and "camera: no frame yet" in lines
    assert "device: not started" in lines and "fps: not running" in lines


def test_versions_cover_the_libraries_of_a_bug_report_without_importing_qt() -> None:
    import subprocess
    import sys

    found = versions()
    for name in ("Python", "FOMM Studio", "torch", "PySide6", "OpenCV", "OpenVINO", "OS"):
        assert found[name], name
    assert found["Python"].startswith(platform.python_version())
    import torch

    assert found["torch"] == torch.__version__.split("+")[0] or found["torch"] == torch.__version__
    code = "import fomm_studio.diagnostics as d, sys; d.versions(); print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

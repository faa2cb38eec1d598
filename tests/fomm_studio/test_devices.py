"""Device choices, what 'auto' resolves to, the device report and its CPU warning, and the live model
cache loading on the resolved device: CUDA availability stubbed, so this runs on any machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

from engine import FommModels, load_config
from fomm_studio.devices import DeviceReport, concrete_device, device_choices, device_report
from fomm_studio.live.launch import ModelCache
from tests.conftest import REPO_ROOT, TINY_CONFIG
from tests.doubles import stub_gpus

GPU_NAMES = ("NVIDIA H200", "NVIDIA RTX 4090")


@pytest.fixture()
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch sees two GPUs, the second one current (so 'auto' must not assume index 0)."""
    stub_gpus(monkeypatch, GPU_NAMES, current=1)


@pytest.fixture()
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.usefixtures("two_gpus")
def test_choices_list_auto_the_cpu_and_each_gpu_by_name() -> None:
    assert [(c.value, c.label) for c in device_choices()] == [
        ("auto", "Auto (GPU if present)"),
        ("cpu", "CPU"),
        ("cuda:0", "GPU 0: NVIDIA H200"),
        ("cuda:1", "GPU 1: NVIDIA RTX 4090"),
    ]


@pytest.mark.usefixtures("no_gpu")
def test_without_cuda_the_choices_are_auto_and_cpu_and_auto_is_the_cpu() -> None:
    assert [c.value for c in device_choices()] == ["auto", "cpu"]
    assert concrete_device("auto") == torch.device("cpu")


@pytest.mark.usefixtures("two_gpus")
def test_auto_and_plain_cuda_get_the_current_gpus_index() -> None:
    assert concrete_device("auto") == torch.device("cuda", 1)
    assert concrete_device("cuda") == torch.device("cuda", 1)
    assert concrete_device("cuda:0") == torch.device("cuda", 0)


def _report(config: Path, device: str) -> DeviceReport:
    models = FommModels(load_config(config), None, None, None, torch.device(device))  # type: ignore[arg-type]
    return device_report(models)


@pytest.mark.usefixtures("two_gpus")
def test_a_heavy_model_on_the_cpu_is_warned_about_with_what_to_do() -> None:
    vox = REPO_ROOT / "fomm_studio" / "configs" / "vox-256.yaml"
    on_cpu = _report(vox, "cpu")
    assert on_cpu.label == "cpu" and on_cpu.name == "CPU"
    assert "89 GFLOP a frame" in on_cpu.warning
    assert "Use a GPU" in on_cpu.warning and "lite" in on_cpu.warning
    on_gpu = _report(vox, "cuda:1")
    assert on_gpu.warning == "" and on_gpu.label == "cuda:1 · NVIDIA RTX 4090"
    assert _report(TINY_CONFIG, "cpu").warning == ""  # a light model runs on the CPU unremarked


@dataclass
class RecordingModel:
    """A model-picker entry whose loader records the device it was asked for."""

    models: FommModels
    config_path: Path = TINY_CONFIG
    checkpoint_path: Path = Path("tiny.pth.tar")
    devices: list[str] = field(default_factory=list)

    def load(self, device: str = "cpu") -> FommModels:
        self.devices.append(device)
        return self.models


@pytest.mark.usefixtures("two_gpus")
def test_the_cache_loads_on_the_resolved_gpu_and_reloads_for_another_device(tiny_models) -> None:
    model, cache = RecordingModel(tiny_models), ModelCache()
    cache.get(model, "auto")
    cache.get(model, "cuda:1")  # the same device as 'auto' here: cached
    cache.get(model, "cpu")
    assert model.devices == ["cuda:1", "cpu"]

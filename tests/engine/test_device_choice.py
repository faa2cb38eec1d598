"""Which device a request means (`resolve_device`, CUDA stubbed where the test needs a GPU), and what
one live frame of a config costs (`live_frame_gflops`, counted on the meta device)."""

from __future__ import annotations

import pytest
import torch

from engine import FommError, live_frame_gflops, load_config, resolve_device
from tests.conftest import REPO_ROOT, TINY_CONFIG

CONFIGS_DIR = REPO_ROOT / "fomm_studio" / "configs"


@pytest.fixture()
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


def test_auto_is_the_cpu_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(FommError, match="device 'cuda' requested but CUDA is not available"):
        resolve_device("cuda")


@pytest.mark.usefixtures("two_gpus")
def test_auto_is_cuda_and_each_gpu_torch_sees_can_be_named() -> None:
    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(
        FommError, match=r"'cuda:2' requested but torch sees 2 CUDA GPU\(s\) \(cuda:0 to cuda:1\)"
    ):
        resolve_device("cuda:2")


def test_an_unknown_device_names_the_choices() -> None:
    with pytest.raises(FommError, match="device 'gpu' is not one of cpu, cuda, cuda:N or auto"):
        resolve_device("gpu")


def test_live_frame_cost_separates_heavy_from_light_configs() -> None:
    vox = live_frame_gflops(load_config(CONFIGS_DIR / "vox-256.yaml"))
    lite = live_frame_gflops(load_config(CONFIGS_DIR / "lite-256.yaml"))
    tiny = live_frame_gflops(load_config(TINY_CONFIG))
    assert 85 < vox < 95 and 1.7 < lite < 2.1  # the figures the README and the CPU warning quote
    assert 0 < tiny < lite

"""Device bugs caught on a CPU-only machine: reduced-precision keypoint algebra, the host transfers and
synchronisations of a live frame (the meta device plays the GPU), checkpoints saved on a GPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine import AnimationSession, MotionOptions, build_models, load_checkpoint, load_config
from engine.motion import inverse_2x2, normalize_kp
from engine.stage_clock import StageClock
from tests.conftest import TINY_CONFIG
from tests.engine.fake_device import TransferLog, retag_storages


def _kp(seed: int, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    value = torch.rand(1, 5, 2, generator=g) * 1.6 - 0.8
    jacobian = torch.eye(2).expand(1, 5, 2, 2) + 0.2 * torch.randn(1, 5, 2, 2, generator=g)
    return {"value": value.to(dtype), "jacobian": jacobian.to(dtype)}


def _frame(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (64, 64, 3), dtype=np.uint8)


def test_closed_form_inverse_matches_lapack() -> None:
    m = _kp(0, torch.float64)["jacobian"]
    np.testing.assert_allclose(inverse_2x2(m).numpy(), torch.inverse(m).numpy(), rtol=1e-10, atol=1e-12)
    assert inverse_2x2(m.half()).dtype == torch.float32


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision_jacobians_go_through_the_keypoint_algebra_in_float32(dtype: torch.dtype) -> None:
    """What `torch.inverse` refused under autocast ('Low precision dtypes not supported')."""
    options = MotionOptions(relative=True, adapt_movement_scale=False, relative_jacobian=True)
    exact = normalize_kp(_kp(1), _kp(2), _kp(3), options)
    low = normalize_kp(_kp(1, dtype), _kp(2, dtype), _kp(3, dtype), options)
    eps = torch.finfo(dtype).eps
    for key in ("value", "jacobian"):
        assert low[key].dtype == torch.float32
        assert float((low[key] - exact[key]).abs().max()) < 40 * eps


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def test_bf16_session_follows_fp32_and_leaves_the_shared_models_in_fp32(tiny_models) -> None:
    fp32, bf16 = AnimationSession(tiny_models), AnimationSession(tiny_models, precision="bf16")
    for session in (fp32, bf16):
        session.set_source(_frame(1))
        session.animate(_frame(2))
    a, b = fp32.animate(_frame(3)), bf16.animate(_frame(3))
    assert _psnr(a.image, b.image) > 30
    assert b.kp_norm.value.dtype == np.float32 and b.kp_norm.jacobian is not None
    assert next(tiny_models.generator.parameters()).dtype == torch.float32
    assert next(bf16.generator.parameters()).dtype == torch.bfloat16


@pytest.fixture()
def meta_session() -> AnimationSession:
    """The tiny model on the meta device: every op runs for shapes only, as a stand-in GPU."""
    session = AnimationSession(build_models(load_config(TINY_CONFIG), device="meta"))
    with TransferLog():
        session.set_source(_frame(1))
    return session


@pytest.mark.parametrize("extras", [False, True, {"mask"}])
def test_a_live_frame_uploads_once_downloads_once_and_never_synchronises(
    meta_session: AnimationSession, extras: object
) -> None:
    with TransferLog():
        meta_session.animate(_frame(2), with_extras=False)  # calibrates
    with TransferLog() as log:
        result = meta_session.animate(_frame(3), with_extras=extras)  # type: ignore[arg-type]
    assert (log.uploads, log.downloads, log.syncing_ops) == (1, 1, [])
    assert result.image.shape == (64, 64, 3) and result.kp_norm.jacobian is not None
    assert (result.mask is not None) == bool(extras) and (result.deformed is not None) == (extras is True)


def test_the_keypoint_filter_runs_on_the_device(meta_session: AnimationSession) -> None:
    seen: list[torch.device] = []

    def on_device(kp: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seen.append(kp["value"].device)
        return {name: t * 0.5 for name, t in kp.items()}

    meta_session.keypoint_filter = on_device
    with TransferLog() as log:
        meta_session.animate(_frame(2), with_extras=False)
    assert seen == [torch.device("meta")] and (log.uploads, log.downloads) == (1, 1)


def test_adapt_scale_reads_the_hull_once_per_calibration() -> None:
    session = AnimationSession(
        build_models(load_config(TINY_CONFIG), device="meta"), MotionOptions(adapt_movement_scale=True)
    )
    with TransferLog():
        session.set_source(_frame(1))
    with TransferLog() as first:
        session.animate(_frame(2), with_extras=False)
    with TransferLog() as second:
        session.animate(_frame(3), with_extras=False)
    assert first.downloads == 3  # the source's and the initial frame's keypoints for the hull, the frame
    assert second.downloads == 1


def test_stage_clock_on_cpu_reports_each_stage() -> None:
    clock = StageClock(torch.device("cpu"))
    clock.mark("a")
    clock.mark("b")
    timings = clock.finish()
    assert list(timings) == ["a", "b"] and all(v >= 0 for v in timings.values())


def test_a_checkpoint_saved_on_a_gpu_loads_on_a_cpu_only_machine(tmp_path: Path, tiny_models) -> None:
    path = tmp_path / "gpu.pth.tar"
    torch.save({"generator": tiny_models.generator.state_dict(), "epoch": 3}, path)
    retag_storages(path, b"cpu", b"cuda:0")
    assert b"cuda:0" in path.read_bytes()
    loaded = load_checkpoint(path)
    first = next(iter(loaded["generator"].values()))
    assert first.device.type == "cpu" and loaded["epoch"] == 3

"""Training on CUDA, checked on the CPU: mixed precision with a frozen network, float32 losses, the loss
scaler in the checkpoint, one host synchronisation per step (the meta device plays the GPU), each
torchrun rank on its own GPU, DataLoader workers, and checkpoints moving between GPU and CPU."""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from engine import FommConfig, load_config, save_checkpoint
from engine.config import config_to_dict
from engine.errors import FommError
from tests.conftest import TINY_CONFIG
from tests.doubles import stub_gpus
from tests.engine.fake_device import TransferLog, retag_storages
from trainer import distributed
from trainer.cpu_threads import loader_workers
from trainer.distributed import DistInfo, init_distributed, losses_to_host, rank_device
from trainer.loop import train_step
from trainer.losses import GeneratorFullModel
from trainer.precision import autocast, autocast_dtype, make_scaler
from trainer.run_setup import TrainingRun, build_loader, build_trainables
from trainer.state import Trainables, TrainState, build_entries, restore

pytestmark = pytest.mark.timeout(120)


def tiny_config(**train_changes: object) -> FommConfig:
    config = load_config(TINY_CONFIG)
    changes = {"perceptual_backend": "pyramid_l1_ssim", **train_changes}
    return dataclasses.replace(config, train_params=dataclasses.replace(config.train_params, **changes))


def tiny_run(
    config: FommConfig,
    device: torch.device,
    scaler: torch.amp.GradScaler,
    amp_dtype: torch.dtype | None = None,
) -> TrainingRun:
    """What `train_step` works on, without dataset, loader or run folder."""
    torch.manual_seed(0)
    trainables = build_trainables(config, device)
    models = trainables.models
    full = GeneratorFullModel(models["kp_detector"], models["generator"], config, "pyramid_l1_ssim", None)
    inputs = SimpleNamespace(info=DistInfo(0, 1, 0, device), options=SimpleNamespace(seed=0))
    return TrainingRun(
        inputs, trainables, TrainState(), full.to(device), None, None, None, scaler, amp_dtype, None
    )  # type: ignore[arg-type]


def batch(config: FommConfig, size: int = 1) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    shape = (size, 3, config.frame_size, config.frame_size)
    return {"source": torch.rand(shape, generator=g), "driving": torch.rand(shape, generator=g)}


def test_a_frozen_detector_trains_under_loss_scaling_and_reduced_precision() -> None:
    """`lr_kp_detector: 0` (which the Train tab allows) with --amp: the scaler found no inf checks for
    the frozen detector's optimizer and stopped the run."""
    config = tiny_config(lr_kp_detector=0.0)
    run = tiny_run(config, torch.device("cpu"), torch.amp.GradScaler("cpu", init_scale=256.0), torch.bfloat16)
    detector, generator = run.trainables.models["kp_detector"], run.trainables.models["generator"]
    frozen = {k: v.clone() for k, v in detector.named_parameters()}
    trained = {k: v.clone() for k, v in generator.named_parameters()}
    for _ in range(2):
        terms = train_step(run, batch(config))
    assert all(t.dtype == torch.float32 and torch.isfinite(t) for t in terms.values())
    assert all(torch.equal(v, frozen[k]) for k, v in detector.named_parameters())
    assert any(not torch.equal(v, trained[k]) for k, v in generator.named_parameters())
    # What the loop did before: step every optimizer through the scaler.
    with pytest.raises(AssertionError, match="No inf checks were recorded for this optimizer"):
        run.scaler.step(run.trainables.optimizers["kp_detector"])


def test_losses_are_float32_while_the_networks_run_in_bf16() -> None:
    config = tiny_config()
    full = tiny_run(config, torch.device("cpu"), make_scaler(None)).gen_step
    data = batch(config, size=2)
    with autocast(torch.bfloat16, torch.device("cpu")):
        losses, generated = full(data["source"], data["driving"], 3)
    exact, plain = full(data["source"], data["driving"], 3)  # float32 throughout
    assert not torch.equal(plain["prediction"], plain["prediction"].bfloat16().float())
    prediction = generated["prediction"].detach()
    assert torch.equal(prediction, prediction.bfloat16().float())  # the generator ran in bf16
    assert set(losses) == {"reconstruction", "equivariance_value", "equivariance_jacobian"}
    for name, value in losses.items():
        assert value.dtype == torch.float32, name
        low, high = float(value.detach()), float(exact[name].detach())
        assert abs(low - high) < 0.05 * abs(high) + 1e-3, name


def test_bf16_where_the_gpu_has_it_else_fp16_with_loss_scaling(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_gpus(monkeypatch, ("NVIDIA H200",))
    cuda, cpu = torch.device("cuda", 0), torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert autocast_dtype(True, cuda) == torch.bfloat16 and not make_scaler(torch.bfloat16).is_enabled()
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert autocast_dtype(True, cuda) == torch.float16 and make_scaler(torch.float16).is_enabled()
    assert autocast_dtype(False, cuda) is None and autocast_dtype(True, cpu) is None


def _scaler(scale: float = 2.0**16) -> torch.amp.GradScaler:
    return torch.amp.GradScaler("cpu", init_scale=scale, growth_interval=3)


def _save(
    path: Path, trainables: Trainables, config: FommConfig, scaler: torch.amp.GradScaler | None
) -> Path:
    save_checkpoint(path, build_entries(trainables, TrainState(step=2), config_to_dict(config), {}, scaler))
    return path


def test_the_loss_scale_is_saved_and_restored_on_resume(tmp_path: Path) -> None:
    config = tiny_config()
    run = tiny_run(config, torch.device("cpu"), _scaler(), torch.bfloat16)
    for _ in range(2):
        train_step(run, batch(config))
    saved = run.scaler.state_dict()
    assert saved["_growth_tracker"] == 2  # two finite steps towards the next growth
    path = _save(tmp_path / "amp.pth.tar", run.trainables, config, run.scaler)
    fresh = _scaler(scale=1.0)
    state, _ = restore(path, build_trainables(config, torch.device("cpu")), fresh)
    assert state.step == 2 and fresh.state_dict() == saved
    # A run saved without loss scaling (float32, bf16) leaves the scaler of an fp16 resume as it starts.
    plain = _save(tmp_path / "fp32.pth.tar", run.trainables, config, None)
    untouched = _scaler(scale=8.0)
    restore(plain, build_trainables(config, torch.device("cpu")), untouched)
    assert untouched.get_scale() == 8.0


def test_a_step_synchronises_with_the_device_once_to_log_its_losses() -> None:
    """On the meta device (a stand-in GPU): the batch and the TPS warp go up without waiting, nothing in
    the step reads a device value, and the loss terms come down in one copy."""
    config = tiny_config()
    meta = torch.device("meta")
    run = tiny_run(config, meta, make_scaler(None))
    with TransferLog() as log:
        terms = train_step(run, batch(config))
        losses = losses_to_host(run.inputs.info, terms)
    assert set(losses) == {"reconstruction", "equivariance_value", "equivariance_jacobian", "total"}
    assert (log.downloads, log.syncing_ops, log.blocking_uploads) == (1, [], 0)
    assert log.uploads >= 2  # source and driving at least


def test_under_torchrun_each_rank_trains_on_its_own_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_gpus(monkeypatch, ("NVIDIA H200",) * 4)
    for asked in ("cuda", "cuda:0", "cuda:3", "auto"):
        assert rank_device(asked, world_size=4, local_rank=2) == torch.device("cuda", 2), asked
    assert rank_device("cpu", world_size=4, local_rank=2) == torch.device("cpu")
    assert rank_device("cuda:3", world_size=1, local_rank=0) == torch.device("cuda", 3)  # alone: as asked
    assert rank_device("cuda", world_size=1, local_rank=0) == torch.device("cuda", 0)
    with pytest.raises(FommError, match="LOCAL_RANK 4 has no GPU of its own: torch sees 4"):
        rank_device("cuda", world_size=8, local_rank=4)


def test_the_process_group_waits_long_enough_for_rank_0_to_decode_the_dataset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stub_gpus(monkeypatch, ("NVIDIA H200",) * 2)
    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: calls.append(("set_device", device)))
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(
        distributed.dist,
        "init_process_group",
        lambda backend, timeout: calls.append(("init_process_group", (backend, timeout))),
    )
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    info = init_distributed("cuda:0")
    assert info.device == torch.device("cuda", 1) and info.rank == 1 and info.enabled
    assert calls == [
        ("set_device", torch.device("cuda", 1)),
        ("init_process_group", ("nccl", timedelta(minutes=60))),
    ]


def test_loader_workers_default_to_spare_cores_on_cuda_and_none_on_the_cpu() -> None:
    assert loader_workers("cuda", cores=16) == 4
    assert loader_workers("cuda", cores=3) == 2
    assert loader_workers("cuda", cores=16, processes=8) == 1  # torchrun: 8 ranks share the cores
    assert loader_workers("cuda", cores=1) == 0
    assert loader_workers("cpu", cores=16) == 0


@pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")  # 4 cores pretended
@pytest.mark.parametrize(("device", "workers", "pinned"), [("cpu", 0, False), ("cuda", 3, True)])
def test_the_loader_takes_the_default_workers_and_pins_batches_for_the_gpu(
    monkeypatch: pytest.MonkeyPatch, device: str, workers: int, pinned: bool
) -> None:
    monkeypatch.setattr("trainer.cpu_threads.cpu_cores", lambda: 4)
    config = tiny_config()
    inputs = SimpleNamespace(
        config=config,
        info=DistInfo(0, 1, 0, torch.device(device)),
        options=SimpleNamespace(num_workers=None, seed=0),
        report=SimpleNamespace(train=[]),
    )
    _, loader = build_loader(inputs)  # type: ignore[arg-type]
    assert (loader.num_workers, loader.pin_memory) == (workers, pinned)
    inputs.options.num_workers = 1  # the user's choice (--num-workers, the Train tab) wins
    assert build_loader(inputs)[1].num_workers == 1  # type: ignore[arg-type]


def test_a_run_saved_on_a_gpu_resumes_on_the_cpu(tmp_path: Path) -> None:
    config = tiny_config()
    run = tiny_run(config, torch.device("cpu"), make_scaler(None))
    train_step(run, batch(config))
    path = _save(tmp_path / "gpu.pth.tar", run.trainables, config, None)
    retag_storages(path, b"cpu", b"cuda:0")  # as a GPU machine writes it
    fresh = build_trainables(config, torch.device("cpu"))
    state, _ = restore(path, fresh)
    expected = run.trainables.models["generator"].state_dict()
    assert state.step == 2
    assert all(torch.equal(v, expected[k]) for k, v in fresh.models["generator"].state_dict().items())
    adam = fresh.optimizers["generator"].state_dict()["state"][0]
    assert adam["exp_avg"].device.type == "cpu"


@pytest.mark.filterwarnings("ignore:.*copying from a non-meta parameter:UserWarning")
def test_a_run_saved_on_the_cpu_resumes_onto_the_gpu(tmp_path: Path) -> None:
    """The meta device as the GPU: every parameter and Adam moment lands on it, none stays on the CPU."""
    config = tiny_config()
    run = tiny_run(config, torch.device("cpu"), make_scaler(None))
    train_step(run, batch(config))
    path = _save(tmp_path / "cpu.pth.tar", run.trainables, config, None)
    on_gpu = build_trainables(config, torch.device("meta"))
    state, _ = restore(path, on_gpu)
    assert state.step == 2
    assert {p.device.type for m in on_gpu.models.values() for p in m.parameters()} == {"meta"}
    moments = on_gpu.optimizers["generator"].state_dict()["state"].values()
    assert {m["exp_avg"].device.type for m in moments} == {"meta"}


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_amp_steps_on_a_real_gpu_with_a_frozen_detector(dtype: torch.dtype) -> None:
    if dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    config = tiny_config(lr_kp_detector=0.0)
    cuda = torch.device("cuda", 0)
    run = tiny_run(config, cuda, make_scaler(dtype), dtype)
    assert run.scaler.is_enabled() == (dtype == torch.float16)
    for _ in range(3):
        losses = losses_to_host(run.inputs.info, train_step(run, batch(config)))
    assert all(isinstance(v, float) and math.isfinite(v) for v in losses.values())

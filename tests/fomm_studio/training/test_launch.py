"""fomm_studio.training.launch: trainer argument lists, request validation, environment, VGG check."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from fomm_studio.training.launch import (
    LaunchError,
    LaunchRequest,
    build_command,
    default_run_dir,
    process_environment,
    supervised_command,
    vgg_weights_problem,
)
from trainer.cpu_threads import cpu_cores


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def request(tmp_path: Path, data: Path, config: Path | None, **changes: object) -> LaunchRequest:
    fields: dict[str, object] = {"data_dir": data, "run_dir": tmp_path / "run", "config_path": config}
    fields.update(changes)
    return LaunchRequest(python="/usr/bin/python3", **fields)  # type: ignore[arg-type]


def test_one_process_argument_list(tmp_path: Path, data_dir: Path, tiny_config_path: Path) -> None:
    req = request(
        tmp_path, data_dir, tiny_config_path, max_steps=6, cache_dir=tmp_path / "cache", sample_every=2
    )
    assert build_command(req, cuda_count=0) == [
        "/usr/bin/python3", "-m", "trainer.train",
        "--config", str(tiny_config_path.resolve()),
        "--data", str(data_dir.resolve()),
        "--run-dir", str((tmp_path / "run").resolve()),
        "--device", "cpu",
        "--max-steps", "6",
        "--cache-dir", str((tmp_path / "cache").resolve()),
        "--sample-every", "2",
        "--no-progress",
    ]  # fmt: skip


def test_torchrun_argument_list(tmp_path: Path, data_dir: Path, tiny_config_path: Path) -> None:
    req = request(tmp_path, data_dir, tiny_config_path, device="cuda", processes=2)
    command = build_command(req, cuda_count=2)
    assert command[:7] == [
        "/usr/bin/python3", "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        "-m", "trainer.train",
    ]  # fmt: skip
    assert command[7:] == ["--config", str(tiny_config_path.resolve()), "--data", str(data_dir.resolve()),
                           "--run-dir", str((tmp_path / "run").resolve()), "--device", "cuda",
                           "--no-progress"]  # fmt: skip


def test_loader_workers_are_passed_only_when_chosen(
    tmp_path: Path, data_dir: Path, tiny_config_path: Path
) -> None:
    chosen = build_command(request(tmp_path, data_dir, tiny_config_path, num_workers=3), cuda_count=0)
    assert chosen[chosen.index("--num-workers") + 1] == "3"
    auto = build_command(request(tmp_path, data_dir, tiny_config_path), cuda_count=0)
    assert "--num-workers" not in auto  # the trainer picks for the device


def test_resume_uses_the_runs_own_config(tmp_path: Path, data_dir: Path, tiny_config_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(tiny_config_path.read_text())
    command = build_command(request(tmp_path, data_dir, None, resume=True), cuda_count=0)
    assert "--resume" in command and "--config" not in command


def test_a_new_run_can_start_from_a_checkpoint(
    tmp_path: Path, data_dir: Path, tiny_config_path: Path, tiny_checkpoint: Path
) -> None:
    command = build_command(request(tmp_path, data_dir, tiny_config_path, init_from=tiny_checkpoint), 0)
    assert command[command.index("--init-from") + 1] == str(tiny_checkpoint.resolve())
    with pytest.raises(LaunchError, match="nowhere.pth.tar: checkpoint to start from not found"):
        build_command(
            request(tmp_path, data_dir, tiny_config_path, init_from=tmp_path / "nowhere.pth.tar"), 0
        )


def test_resume_ignores_the_start_checkpoint(
    tmp_path: Path, data_dir: Path, tiny_config_path: Path, tiny_checkpoint: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(tiny_config_path.read_text())
    command = build_command(request(tmp_path, data_dir, None, resume=True, init_from=tiny_checkpoint), 0)
    assert "--resume" in command and "--init-from" not in command


def test_supervised_command_wraps_the_list(tmp_path: Path) -> None:
    wrapped = supervised_command(["py", "-m", "trainer.train"], tmp_path, python="py")
    assert wrapped == ["py", "-m", "fomm_studio.training.supervisor", "--status",
                       str(tmp_path.resolve() / "process.json"), "--", "py", "-m", "trainer.train"]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "cuda", "message"),
    [
        ({"data_dir": Path("/nonexistent/data")}, 0, "nonexistent/data: dataset folder not found"),
        ({"device": "cuda"}, 0, "torch sees no CUDA GPU"),
        ({"device": "tpu"}, 0, "device must be 'cpu' or 'cuda', got 'tpu'"),
        ({"device": "cuda", "processes": 3}, 2, "3 processes asked for but only 2 CUDA GPU"),
        ({"processes": 0}, 0, "at least 1, got 0"),
        ({"max_steps": 0}, 0, "max steps must be at least 1, got 0"),
        ({"num_workers": -1}, 0, "loader workers must be 0 or more, got -1"),
        ({"config_path": Path("/nonexistent/c.yaml")}, 0, "c.yaml: config file not found"),
        ({"config_path": None}, 0, "a new run needs a config file"),
        ({"resume": True, "config_path": None}, 0, "nothing to resume"),
    ],
)
def test_bad_inputs_are_rejected_with_clear_messages(
    tmp_path: Path, data_dir: Path, tiny_config_path: Path, changes: dict, cuda: int, message: str
) -> None:
    with pytest.raises(LaunchError, match=message):
        build_command(request(tmp_path, data_dir, tiny_config_path, **changes), cuda_count=cuda)


def test_a_folder_holding_a_run_needs_resume(tmp_path: Path, data_dir: Path, tiny_config_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.jsonl").write_text(json.dumps({"type": "step", "step": 1}) + "\n")
    with pytest.raises(LaunchError, match="already holds a run; Resume it"):
        build_command(request(tmp_path, data_dir, tiny_config_path), cuda_count=0)


def test_missing_vgg_weights_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    problem = vgg_weights_problem("vgg19", None)
    assert problem is not None and str(tmp_path / "torch" / "hub" / "checkpoints") in problem
    assert "torch hub's default location" in problem
    assert vgg_weights_problem("pyramid_l1_ssim", None) is None
    weights = tmp_path / "vgg.pth"
    weights.write_bytes(b"x")
    assert vgg_weights_problem("vgg19", str(weights)) is None
    assert "chosen VGG weights file" in str(vgg_weights_problem("vgg19", str(tmp_path / "absent.pth")))


def test_run_dir_names_and_environment(tmp_path: Path) -> None:
    now = datetime(2024, 5, 6, 7, 8, 9)
    first = default_run_dir(tmp_path, now)
    assert first == tmp_path / "run-20240506-070809"
    first.mkdir()
    assert default_run_dir(tmp_path, now) == tmp_path / "run-20240506-070809-2"
    env = process_environment({"PYTHONPATH": "/elsewhere"})
    assert env["PYTHONPATH"].split(":")[1] == "/elsewhere" and env["PYTHONUNBUFFERED"] == "1"
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
    kept = process_environment({"OMP_WAIT_POLICY": "ACTIVE"})  # a user's own choice stays
    assert kept["OMP_WAIT_POLICY"] == "ACTIVE"
    assert "OMP_NUM_THREADS" not in env  # no live view: the training takes every core
    beside_live = process_environment({}, live_threads=1)
    assert beside_live["OMP_NUM_THREADS"] == str(max(1, cpu_cores() - 1))
    assert (Path(env["PYTHONPATH"].split(":")[0]) / "trainer" / "train.py").is_file()

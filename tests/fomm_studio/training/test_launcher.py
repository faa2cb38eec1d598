"""Training launcher (argument lists, validation, edited config), supervisor exit codes, run monitor."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from engine.config import load_config
from fomm_studio.training.launcher import (
    PRESETS,
    LaunchError,
    LaunchRequest,
    build_command,
    check_edits,
    default_run_dir,
    process_environment,
    read_edits,
    report_text,
    scan_dataset_report,
    supervised_command,
    vgg_weights_problem,
    write_run_config,
)
from fomm_studio.training.monitor import RunMonitor
from fomm_studio.training.supervisor import is_running, read_status
from tests.trainer.videos import make_frames, write_mp4
from trainer.video_cache import ScanCancelledError


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


def test_edited_config_is_written_to_the_run_folder(tmp_path: Path, tiny_config_path: Path) -> None:
    edits = read_edits(tiny_config_path)
    assert edits.frame_shape == (64, 64, 3) and edits.num_kp == 5
    changed = edits.__class__(**{**edits.__dict__, "num_kp": 7, "batch_size": 3, "lr_generator": 1e-4,
                                 "perceptual_backend": "pyramid_l1_ssim"})  # fmt: skip
    path = write_run_config(tiny_config_path, changed, tmp_path / "run")
    written = load_config(path)
    assert path == tmp_path / "run" / "config.yaml"
    assert written.model_params.common_params.num_kp == 7
    assert written.train_params.batch_size == 3 and written.train_params.lr_generator == 1e-4
    assert written.train_params.perceptual_backend == "pyramid_l1_ssim"
    assert (
        written.model_params.generator_params == load_config(tiny_config_path).model_params.generator_params
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("num_kp", 0, "num_kp must be at least 1"), ("lr_generator", -1.0, r"lr_generator must be in \[0, 1\)"),
     ("perceptual_backend", "lpips", "must be one of vgg19, pyramid_l1_ssim")],
)  # fmt: skip
def test_bad_edits_are_rejected(tiny_config_path: Path, field: str, value: object, message: str) -> None:
    edits = read_edits(tiny_config_path)
    with pytest.raises(LaunchError, match=message):
        check_edits(edits.__class__(**{**edits.__dict__, field: value}))


def test_presets_are_readable_configs() -> None:
    assert {p.path.name for p in PRESETS} == {"lite-256.yaml", "vox-256.yaml"}
    assert all(read_edits(p.path).frame_shape == (256, 256, 3) for p in PRESETS)


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
    assert (Path(env["PYTHONPATH"].split(":")[0]) / "trainer" / "train.py").is_file()


def test_dataset_report_lists_unreadable_files_and_cancels(tmp_path: Path, data_dir: Path) -> None:
    for i in range(2):
        write_mp4(data_dir / f"clip{i}.mp4", make_frames(i, 8, 48))
    (data_dir / "broken.mp4").write_bytes(b"not a video")
    seen: list[tuple[int, int]] = []
    report = scan_dataset_report(data_dir, (64, 64, 3), tmp_path / "cache", lambda d, t: seen.append((d, t)),
                                 threading.Event())  # fmt: skip
    assert len(report.train) + len(report.test) == 2
    assert [p.name for p, _ in report.unreadable] == ["broken.mp4"]
    assert seen[-1] == (3, 3)
    text = report_text(report)
    assert "skipped unreadable" in text and "broken.mp4" in text and "48x48" in text
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ScanCancelledError, match="scan cancelled"):
        scan_dataset_report(data_dir, (64, 64, 3), tmp_path / "cache", lambda d, t: None, cancel)


def test_supervisor_records_the_exit_code(tmp_path: Path) -> None:
    status = tmp_path / "process.json"
    command = [sys.executable, "-m", "fomm_studio.training.supervisor", "--status", str(status), "--",
               sys.executable, "-c", "import sys; print('hello'); sys.exit(3)"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode == 3 and "hello" in out.stdout
    recorded = read_status(tmp_path)
    assert recorded is not None and recorded.state == "exited" and recorded.exit_code == 3
    assert not is_running(recorded)


def test_monitor_tails_events_and_tolerates_a_partial_line(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"

    def step(n: int) -> str:
        return json.dumps({"type": "step", "step": n, "epoch": 0, "losses": {"total": 10.0 / n, "bad": "nan"},
                           "lr": {"generator": 2e-4}}) + "\n"  # fmt: skip

    events.write_text(json.dumps({"type": "start", "max_steps": 4}) + "\n" + step(1) + step(2) + step(3)[:20])
    monitor = RunMonitor(tmp_path)
    assert monitor.poll()
    assert monitor.losses["total"].values == [10.0, 5.0] and "bad" not in monitor.losses
    assert monitor.max_steps == 4 and monitor.outcome is None
    with open(events, "a") as handle:
        handle.write(step(3)[20:] + json.dumps({"type": "resumed", "step": 2}) + "\n" + step(3))
        handle.write(json.dumps({"type": "checkpoint", "path": "x/step-00000003.pth.tar", "step": 3, "best": True,
                                 "time": 5.0}) + "\n" + json.dumps({"type": "stopped", "step": 3}) + "\n")  # fmt: skip
    assert monitor.poll()
    assert monitor.losses["total"].steps == [1.0, 2.0, 3.0]  # the resumed step 3 replaced the first one
    assert monitor.learning_rates["generator"].values == [2e-4] * 3
    assert monitor.outcome == "stopped" and monitor.best_step == 3
    assert not monitor.poll()

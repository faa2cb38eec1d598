"""`fomm distill`: the trainer's distillation behind the fomm command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import load_config
from fomm_studio import cli
from fomm_studio.model_registry import ModelRegistry
from fomm_studio.training.monitor import RunMonitor
from tests.conftest import TINY_CONFIG
from tests.trainer.distill_fixtures import make_student, make_teacher
from tests.trainer.videos import make_dataset


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_teacher(tmp_path_factory.mktemp("teacher"))


@pytest.fixture(scope="module")
def student_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_student(tmp_path_factory.mktemp("student"))


@pytest.fixture(scope="module")
def video_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("videos") / "data")


@pytest.fixture(scope="module")
def frame_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("frame_cache")


def test_fomm_distill_runs_and_prints_the_evaluation(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir = tmp_path / "run"
    args = ["distill", "--teacher-config", str(TINY_CONFIG), "--teacher", str(teacher)]
    args += ["--student-config", str(student_config), "--data", str(video_dataset), "--run-dir", str(run_dir)]
    args += ["--cache-dir", str(frame_cache), "--device", "cpu", "--max-steps", "2", "--batch-size", "2"]
    args += ["--eval-frames", "2", "--no-progress", "--lr", "5e-4"]
    assert cli.main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) >= {
        "student_vs_teacher_l1",
        "student_vs_teacher_psnr",
        "start_vs_teacher_l1",
        "student_ms",
        "teacher_ms",
    }
    assert (run_dir / "checkpoints" / "step-00000002.pth.tar").is_file()
    # the model picker offers the distilled checkpoints (not the untrained start) and they load
    entries = ModelRegistry().register_run_checkpoints(run_dir)
    assert sorted(e.checkpoint_path.name for e in entries) == ["best.pth.tar", "step-00000002.pth.tar"]
    assert entries[0].load().config.frame_size == 64
    # the Train tab's monitor reads the run like a training run: curves, checkpoints, samples, outcome
    monitor = RunMonitor(run_dir)
    monitor.poll()
    assert {"distill_prediction", "distill_deformation", "distill_occlusion", "total"} <= set(monitor.losses)
    assert monitor.losses["total"].steps == [1, 2]
    assert load_config(run_dir / "config.yaml").train_params.lr_generator == 5e-4  # --lr reached the run
    assert [row.path.name for row in monitor.checkpoints()] == ["step-00000002.pth.tar", "best.pth.tar"]
    assert monitor.latest_sample() == run_dir / "samples" / "step-00000001.png"
    assert cli.main([*args, "--evaluate"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["frames"] == 2


def test_fomm_distill_without_teacher_config_detects_it_or_says_why(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["distill", "--teacher", str(teacher), "--student-config", str(student_config)]
    code = cli.main([*args, "--data", str(tmp_path), "--run-dir", str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fomm distill: error:") and "teacher.pth.tar" in err and err.count("\n") == 0

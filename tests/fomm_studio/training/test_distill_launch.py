"""The `trainer.distill` command the Train tab's "Distil for live" mode starts (argv only: nothing runs
here), its refusals, and the monitor reading a distillation's events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fomm_studio.paths import CONFIGS_DIR
from fomm_studio.training.launch import DistillRequest, LaunchError, build_distill_command
from fomm_studio.training.monitor import RunMonitor

LITE = CONFIGS_DIR / "lite-256.yaml"
VOX = CONFIGS_DIR / "vox-256.yaml"


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "data").mkdir()
    (tmp_path / "avatars").mkdir()
    (tmp_path / "vox-cpk.pth.tar").write_bytes(b"teacher")
    (tmp_path / "student.pth.tar").write_bytes(b"student")
    (tmp_path / "face.png").write_bytes(b"png")
    return {
        name: tmp_path / name
        for name in ("data", "avatars", "vox-cpk.pth.tar", "student.pth.tar", "face.png")
    }


def distill(tmp_path: Path, files: dict[str, Path], **changes: object) -> DistillRequest:
    fields: dict[str, object] = {
        "teacher_checkpoint": files["vox-cpk.pth.tar"],
        "teacher_config": VOX,
        "student_config": LITE,
        "data_dir": files["data"],
        "run_dir": tmp_path / "run",
        "python": "/usr/bin/python3",
    }
    fields.update(changes)
    return DistillRequest(**fields)  # type: ignore[arg-type]


def test_distill_argument_list(tmp_path: Path, files: dict[str, Path]) -> None:
    request = distill(
        tmp_path,
        files,
        init_from=files["student.pth.tar"],
        avatars=(files["face.png"], files["avatars"]),
        max_steps=500,
        seed=3,
    )
    assert build_distill_command(request, cuda_count=0) == [
        "/usr/bin/python3", "-m", "trainer.distill",
        "--teacher-config", str(VOX.resolve()), "--teacher", str(files["vox-cpk.pth.tar"].resolve()),
        "--student-config", str(LITE.resolve()), "--student-kind", "hybrid",
        "--init-from", str(files["student.pth.tar"].resolve()),
        "--data", str(files["data"].resolve()),
        "--avatars", str(files["face.png"].resolve()), str(files["avatars"].resolve()),
        "--run-dir", str((tmp_path / "run").resolve()),
        "--max-steps", "500",
        "--device", "cpu",
        "--seed", "3",
    ]  # fmt: skip


def test_resuming_a_distillation_passes_resume_and_no_init(tmp_path: Path, files: dict[str, Path]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("x")
    command = build_distill_command(
        distill(tmp_path, files, student_kind="full", resume=True, init_from=files["student.pth.tar"]), 0
    )
    assert "--resume" in command and "--init-from" not in command
    assert command[command.index("--student-kind") + 1] == "full"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"teacher_config": None},
            "vox-cpk.pth.tar: the teacher's config is not known; choose its YAML config",
        ),
        (
            {"teacher_checkpoint": Path("/nowhere/vox.pth.tar")},
            "/nowhere/vox.pth.tar: teacher checkpoint not found",
        ),
        ({"student_config": Path("/nowhere/s.yaml")}, "/nowhere/s.yaml: student config not found"),
        ({"student_kind": "tiny"}, "student kind must be one of hybrid, full, got 'tiny'"),
        ({"data_dir": Path("/nowhere/data")}, "/nowhere/data: data folder not found"),
        ({"avatars": (Path("/nowhere/a.png"),)}, "/nowhere/a.png: avatar image or folder not found"),
        ({"device": "cuda"}, "torch sees no CUDA GPU"),
        ({"max_steps": 0}, "max steps must be at least 1, got 0"),
    ],
)
def test_distill_refusals_name_the_input(
    tmp_path: Path, files: dict[str, Path], changes: dict[str, object], message: str
) -> None:
    with pytest.raises(LaunchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_distill_command(distill(tmp_path, files, **changes), cuda_count=0)


def test_a_distillation_does_not_start_in_a_folder_holding_a_run(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("x")
    (run / "events.jsonl").write_text(json.dumps({"type": "step", "step": 1}) + "\n")
    with pytest.raises(LaunchError, match="already holds a run; Resume it"):
        build_distill_command(distill(tmp_path, files), cuda_count=0)


def test_the_monitor_follows_a_distillations_own_loss_names(tmp_path: Path) -> None:
    """Distillation writes its own loss terms; the Train tab's curves take whatever names come."""
    losses = ("distill_prediction", "distill_deformation", "distill_occlusion", "perceptual", "total")
    lines = [{"type": "start", "max_steps": 3}]
    for step in (1, 2, 3):
        values = {name: 1.0 / (step + i) for i, name in enumerate(losses)}
        lines.append({"type": "step", "step": step, "epoch": 0, "losses": values, "lr": {"student": 1e-4}})
    lines.append(
        {"type": "checkpoint", "path": str(tmp_path / "step-00000003.pth.tar"), "step": 3, "time": 1.0}
    )
    lines.append({"type": "end", "step": 3})
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    monitor = RunMonitor(tmp_path)
    assert monitor.poll()
    assert set(monitor.losses) == set(losses)
    assert monitor.losses["distill_occlusion"].values == pytest.approx([1 / 3, 1 / 4, 1 / 5])
    assert monitor.learning_rates["student"].steps == [1.0, 2.0, 3.0]
    assert monitor.outcome == "finished" and monitor.max_steps == 3


def test_the_apps_distill_command_is_what_the_trainers_own_parser_takes(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    """The Train tab's command against `python -m trainer.distill`'s real argument parser (the two were
    written side by side against one agreed interface)."""
    import argparse

    from trainer.distill.cli import add_distill_arguments

    request = distill(
        tmp_path, files, init_from=files["student.pth.tar"], avatars=(files["face.png"], files["avatars"])
    )
    command = build_distill_command(request, cuda_count=0)
    assert command[1:3] == ["-m", "trainer.distill"]
    parser = argparse.ArgumentParser()
    add_distill_arguments(parser)
    args = parser.parse_args(command[3:])
    assert args.teacher == files["vox-cpk.pth.tar"].resolve() and args.student_kind == "hybrid"
    assert [Path(p) for p in args.avatars] == [files["face.png"].resolve(), files["avatars"].resolve()]
    assert Path(args.run_dir) == (tmp_path / "run").resolve() and args.max_steps is None


def test_resuming_a_training_run_as_a_distillation_names_what_its_log_lacks(tmp_path: Path) -> None:
    from fomm_studio.training.distill_resume import resumed_distill_request

    start = {"type": "start", "config": "lite-256.yaml", "data": str(tmp_path)}  # what `fomm train` logs
    (tmp_path / "events.jsonl").write_text(json.dumps(start) + "\n")
    with pytest.raises(LaunchError) as caught:
        resumed_distill_request(tmp_path, "cpu", None)
    assert str(caught.value) == (
        f"{tmp_path / 'events.jsonl'}: the run's start event names no teacher, teacher_config, "
        "student_kind; it is not a distillation run"
    )

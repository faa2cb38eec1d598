"""What `fomm distill` refuses with one clear line before any work: a teacher that does not fit its
config, a hybrid student that cannot take the teacher's keypoints, avatars that are no images."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.errors import CheckpointMismatchError, ConfigError, FommError
from tests.trainer.distill_fixtures import NARROW, distill_options, write_config
from trainer.distill.cli import main
from trainer.distill.run import distill


def test_hybrid_student_with_other_keypoints_is_refused_before_any_work(
    tmp_path: Path,
    teacher: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    student = write_config(tmp_path / "four.yaml", {**NARROW, "model_params.common_params.num_kp": 4})
    run_dir = tmp_path / "run"
    with pytest.raises(
        ConfigError, match=r"four\.yaml: 'model_params\.common_params\.num_kp' is 4 but the teacher's is 5"
    ):
        distill(distill_options(teacher, student, video_dataset, frame_cache, run_dir))
    assert not run_dir.exists()


def test_full_student_may_have_other_keypoints(
    tmp_path: Path,
    teacher: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    student = write_config(tmp_path / "four.yaml", {**NARROW, "model_params.common_params.num_kp": 4})
    options = distill_options(
        teacher,
        student,
        video_dataset,
        frame_cache,
        tmp_path / "run",
        max_steps=1,
        student_kind="full",
        eval_frames=1,
    )
    assert distill(options) == 0


def test_teacher_that_does_not_fit_its_config_is_refused(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    options = distill_options(teacher, student_config, video_dataset, frame_cache, tmp_path / "run")
    wrong = type(options)(**{**options.__dict__, "teacher_config": student_config})
    with pytest.raises(
        CheckpointMismatchError, match=r"teacher .*teacher\.pth\.tar does not fit its config .*student\.yaml"
    ):
        distill(wrong)
    assert not (tmp_path / "run").exists()


def test_frames_of_another_size_are_refused(
    tmp_path: Path,
    teacher: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    student = write_config(tmp_path / "big.yaml", {**NARROW, "dataset_params.frame_shape": [128, 128, 3]})
    with pytest.raises(ConfigError, match=r"big\.yaml: frame size 128 differs from the teacher's 64"):
        distill(distill_options(teacher, student, video_dataset, frame_cache, tmp_path / "run"))


def test_avatar_folder_without_a_readable_image_is_named(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    folder = tmp_path / "faces"
    folder.mkdir()
    (folder / "notes.txt").write_text("no image here")
    (folder / "broken.png").write_bytes(b"not a png")
    options = distill_options(
        teacher, student_config, video_dataset, frame_cache, tmp_path / "run", avatars=(folder,)
    )
    with pytest.raises(FommError, match=rf"--avatars: {folder}: folder has no readable image"):
        distill(options)
    assert not (tmp_path / "run").exists()


def test_avatars_are_the_sources(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    image = np.full((90, 120, 3), (10, 200, 30), np.uint8)
    cv2.imwrite(str(tmp_path / "green.png"), image)
    run_dir = tmp_path / "run"
    options = distill_options(
        teacher,
        student_config,
        video_dataset,
        frame_cache,
        run_dir,
        max_steps=1,
        avatars=(tmp_path / "green.png",),
        eval_frames=1,
    )
    assert distill(options) == 0
    sources = np.load(run_dir / "teacher_cache" / "sources.npy")
    assert sources.shape == (1, 64, 64, 3)
    assert tuple(sources[0, 32, 32]) == (30, 200, 10)  # RGB of the BGR file


def test_trainer_entry_needs_the_teacher_config_and_says_so(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "--teacher",
            str(teacher),
            "--student-config",
            str(student_config),
            "--data",
            str(tmp_path),
            "--run-dir",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--teacher-config is required" in err


@pytest.mark.parametrize("lr", ["0", "-0.001"])
def test_a_learning_rate_that_is_not_positive_is_refused(
    tmp_path: Path, teacher: Path, student_config: Path, lr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--teacher",
        str(teacher),
        "--teacher-config",
        str(teacher),
        "--student-config",
        str(student_config),
    ]
    code = main([*args, "--data", str(tmp_path), "--run-dir", str(tmp_path / "r"), f"--lr={lr}"])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"distill: error: --lr must be positive, got {float(lr):g}"
    assert not (tmp_path / "r").exists()

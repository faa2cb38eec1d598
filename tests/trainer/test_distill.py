"""`fomm distill` end to end on tiny models: the run folder, the teacher cache, exact resume, STOP,
evaluation, and a result that loads and animates like any model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine import load_models
from engine.checkpoint import load_checkpoint
from engine.config import load_config
from engine.errors import FommError
from engine.session import AnimationSession
from tests.conftest import TINY_CONFIG
from tests.trainer.conftest import read_events, step_losses
from tests.trainer.distill_fixtures import distill_options
from trainer.distill import run as distill_run
from trainer.distill.evaluate import evaluation_sources, fidelity, held_out_frames, live_predictions
from trainer.distill.options import DISTILL_LR
from trainer.distill.run import distill
from trainer.loop import LoopHooks
from trainer.options import TrainOptions
from trainer.video_cache import scan_dataset


@pytest.fixture(scope="module")
def straight(
    tmp_path_factory: pytest.TempPathFactory,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> Path:
    """A hybrid run of 6 steps without interruption (sample every 3)."""
    run_dir = tmp_path_factory.mktemp("distill") / "straight"
    options = distill_options(
        teacher, student_config, video_dataset, frame_cache, run_dir, max_steps=6, sample_every=3
    )
    assert distill(options) == 0
    return run_dir


def test_run_folder_follows_the_training_conventions(straight: Path, student_config: Path) -> None:
    kinds = [e["type"] for e in read_events(straight)]
    assert kinds[:3] == ["start", "dataset", "teacher_cache"]
    assert kinds[-3:] == ["checkpoint", "end", "evaluation"] or kinds[-2:] == ["end", "evaluation"]
    steps = [e for e in read_events(straight) if e["type"] == "step"]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6]
    assert set(steps[0]["losses"]) == {
        "distill_prediction",
        "distill_deformation",
        "distill_occlusion",
        "total",
    }
    # distillation's own learning rate, not the student config's 2e-4; hybrid: the teacher's detector, frozen
    assert steps[0]["lr"] == {"generator": DISTILL_LR, "kp_detector": 0.0}
    sample = cv2.imread(str(straight / "samples" / "step-00000003.png"))
    assert sample.shape == (64, 5 * 64, 3)  # source | driving | teacher | student | occlusion
    # the student's config, with the teacher's keypoint detector in hybrid mode
    saved, student, tiny = (
        load_config(straight / "config.yaml"),
        load_config(student_config),
        load_config(TINY_CONFIG),
    )
    assert saved.model_params.generator_params == student.model_params.generator_params
    assert saved.model_params.kp_detector_params == tiny.model_params.kp_detector_params
    assert saved.model_params.kp_detector_params != student.model_params.kp_detector_params
    assert student.train_params.lr_generator == 2e-4
    assert (saved.train_params.lr_generator, saved.train_params.lr_kp_detector) == (DISTILL_LR, 0.0)


def test_student_learns_the_teacher(straight: Path) -> None:
    losses = step_losses(straight)
    assert np.mean([losses[s]["distill_prediction"] for s in (5, 6)]) < losses[1]["distill_prediction"]


def test_hybrid_result_holds_the_teachers_detector_and_loads_and_animates(
    straight: Path, teacher: Path
) -> None:
    checkpoint = straight / "checkpoints" / "step-00000006.pth.tar"
    theirs = load_checkpoint(teacher)["kp_detector"]
    ours = load_checkpoint(checkpoint)["kp_detector"]
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    models = load_models(straight / "config.yaml", checkpoint)
    session = AnimationSession(models)
    rng = np.random.default_rng(0)
    session.set_source(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    first = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    session.calibrate(first)
    frame = session.animate(np.roll(first, 5, axis=1), with_extras=False).image
    assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8 and frame.std() > 0


def test_evaluation_is_written_and_sane(straight: Path) -> None:
    result = json.loads((straight / "evaluation.json").read_text())
    assert 0 < result["student_vs_teacher_l1"] < 1
    assert 0 < result["start_vs_teacher_l1"] < 1
    assert 5 < result["student_vs_teacher_psnr"] < 100
    assert result["student_ms"] > 0 and result["teacher_ms"] > 0
    assert result["student_gflop"] < result["teacher_gflop"]  # the student is the narrower config
    assert result["frames"] == 6
    card = (straight / "MODEL_CARD.md").read_text()
    assert (
        "teacher.pth.tar" in card
        and f"{result['student_vs_teacher_l1']:.4f}" in card
        and f"6 steps at learning rate {DISTILL_LR:g}" in card
    )


def test_evaluate_only_rerun_prints_the_same_json_line(
    straight: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = json.loads((straight / "evaluation.json").read_text())
    options = distill_options(
        teacher, student_config, video_dataset, frame_cache, straight, evaluate_only=True
    )
    assert distill(options) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("held-out 6 frames: student vs teacher L1")
    again = json.loads(lines[-1])
    assert again["student_vs_teacher_l1"] == pytest.approx(before["student_vs_teacher_l1"], abs=1e-4)


def test_the_evaluation_averages_the_scores_of_several_sources(
    straight: Path, teacher: Path, video_dataset: Path, frame_cache: Path
) -> None:
    result = json.loads((straight / "evaluation.json").read_text())
    assert result["sources"] == 4  # four training videos: the middle frame of each
    teacher_models = load_models(TINY_CONFIG, teacher)
    report = scan_dataset(video_dataset, teacher_models.config.dataset_params.frame_shape, frame_cache)
    sources = evaluation_sources(report, None, 4)
    assert len({s.tobytes() for s in sources}) == 4
    held_out = held_out_frames(report.test, 6)
    student = load_models(straight / "config.yaml", Path(result["checkpoint"]))
    each = [
        fidelity(live_predictions(student, s, held_out), live_predictions(teacher_models, s, held_out))[0]
        for s in sources
    ]
    assert len(set(each)) == 4  # each source scores on its own
    assert result["student_vs_teacher_l1"] == pytest.approx(np.mean(each), abs=1e-5)  # stored rounded
    avatars = np.stack([sources[0], sources[1]])
    assert [a.tobytes() for a in evaluation_sources(report, avatars, 4)] == [a.tobytes() for a in avatars]


def test_live_predictions_return_the_deformation_unclamped_on_request(
    teacher: Path, video_dataset: Path, frame_cache: Path
) -> None:
    models = load_models(TINY_CONFIG, teacher)
    report = scan_dataset(video_dataset, models.config.dataset_params.frame_shape, frame_cache)
    held_out = held_out_frames(report.test, 6)
    source = evaluation_sources(report, None, 1)[0]
    fields = live_predictions(models, source, held_out, "deformation")
    frames = live_predictions(models, source, held_out)
    assert fields.shape[0] == frames.shape[0] == 6 and fields.shape[-1] == 2  # (N, h, w, xy)
    assert fields.min() < -0.5 and fields.max() > 0.5  # sampling coordinates over [-1, 1], not clamped
    assert frames.min() >= 0.0 and frames.max() <= 1.0


def _resumed(options: TrainOptions, **changes: object) -> TrainOptions:
    return dataclasses.replace(options, **changes)  # type: ignore[arg-type]


def test_resume_continues_exactly_and_reuses_the_cache(
    straight: Path,
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_dir = tmp_path / "run"
    first = distill_options(teacher, student_config, video_dataset, frame_cache, run_dir, max_steps=3)
    assert distill(first) == 0
    manifest = run_dir / "teacher_cache" / "manifest.json"
    written = manifest.stat().st_mtime_ns

    def no_teacher(*args: object) -> None:
        raise AssertionError("the teacher ran again although its outputs are cached")

    monkeypatch.setattr("trainer.distill.teacher_cache.compute_targets", no_teacher)
    second = dataclasses.replace(first, train=_resumed(first.train, max_steps=6, resume=True))
    assert distill(second) == 0
    assert manifest.stat().st_mtime_ns == written
    caches = [e["status"] for e in read_events(run_dir) if e["type"] == "teacher_cache"]
    assert caches == ["built", "reused"]
    resumed, uninterrupted = step_losses(run_dir), step_losses(straight)
    assert sorted(resumed) == [1, 2, 3, 4, 5, 6]
    for step in (4, 5, 6):
        assert resumed[step] == pytest.approx(uninterrupted[step], rel=1e-5), step
    other_kind = dataclasses.replace(second, student_kind="full", train=_resumed(second.train, max_steps=7))
    with pytest.raises(
        FommError, match="this run distils a hybrid student; resume it with --student-kind hybrid"
    ):
        distill(other_kind)


def test_a_corrupt_cache_is_rebuilt(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    run_dir = tmp_path / "run"
    options = distill_options(
        teacher, student_config, video_dataset, frame_cache, run_dir, max_steps=1, eval_frames=1
    )
    assert distill(options) == 0
    target = run_dir / "teacher_cache" / "prediction.npy"
    good = np.load(target)
    data = bytearray(target.read_bytes())
    data[-10:] = bytes(10)
    target.write_bytes(bytes(data))
    assert distill(dataclasses.replace(options, train=_resumed(options.train, max_steps=2, resume=True))) == 0
    events = [e for e in read_events(run_dir) if e["type"] == "teacher_cache"]
    assert [e["status"] for e in events] == ["built", "built"]
    assert "corrupt: prediction.npy" in events[1]["detail"]
    assert np.array_equal(np.load(target), good)
    fewer = dataclasses.replace(
        options, max_pairs=10, train=_resumed(options.train, max_steps=3, resume=True)
    )
    assert distill(fewer) == 0  # another pair count: the cache is stale and rebuilt with 10 pairs
    last = [e for e in read_events(run_dir) if e["type"] == "teacher_cache"][-1]
    assert last["status"] == "built" and "stale" in last["detail"] and last["pairs"] == 10


def test_stop_file_saves_and_stops(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_dir = tmp_path / "run"
    hooks = distill_run.DISTILL_HOOKS

    def step_then_ask_to_stop(run, batch):  # type: ignore[no-untyped-def]
        terms = hooks.train_step(run, batch)
        if run.state.step == 1:  # the step being taken is the second
            (run_dir / "STOP").write_text("")
        return terms

    monkeypatch.setattr(
        distill_run, "DISTILL_HOOKS", LoopHooks(step_then_ask_to_stop, hooks.write_sample, hooks.best_term)
    )
    options = distill_options(teacher, student_config, video_dataset, frame_cache, run_dir, max_steps=50)
    assert distill(options) == 0
    events = read_events(run_dir)
    assert [e["step"] for e in events if e["type"] == "stopped"] == [2]
    assert "end" not in [e["type"] for e in events]
    assert load_checkpoint(run_dir / "checkpoints" / "step-00000002.pth.tar")["studio"]["step"] == 2
    assert not (run_dir / "evaluation.json").exists()  # evaluation waits for a finished run


def test_full_student_trains_its_own_detector_on_the_teachers_keypoints(
    tmp_path: Path,
    teacher: Path,
    student_config: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    run_dir = tmp_path / "run"
    options = distill_options(
        teacher,
        student_config,
        video_dataset,
        frame_cache,
        run_dir,
        max_steps=2,
        student_kind="full",
        eval_frames=2,
    )
    assert distill(options) == 0
    losses = step_losses(run_dir)
    assert "distill_keypoints" in losses[1] and losses[1]["distill_keypoints"] > 0
    saved = load_config(run_dir / "config.yaml")
    assert (
        saved.model_params.kp_detector_params == load_config(student_config).model_params.kp_detector_params
    )
    start = load_checkpoint(run_dir / "checkpoints" / "start.pth")["kp_detector"]
    end = load_checkpoint(run_dir / "checkpoints" / "step-00000002.pth.tar")["kp_detector"]
    assert any(not torch.equal(start[k], end[k]) for k in start if start[k].is_floating_point())


def test_init_from_takes_the_fitting_tensors_and_the_start_model_is_evaluated(
    tmp_path: Path,
    teacher: Path,
    video_dataset: Path,
    frame_cache: Path,
) -> None:
    """A student of the teacher's own config started from the teacher's weights: the start model *is*
    the teacher, so the evaluation must find it (nearly) identical to it."""
    run_dir = tmp_path / "run"
    options = distill_options(
        teacher,
        TINY_CONFIG,
        video_dataset,
        frame_cache,
        run_dir,
        max_steps=1,
        init_from=teacher,
        eval_frames=4,
    )
    assert distill(options) == 0
    warm = [e for e in read_events(run_dir) if e["type"] == "warm_start"]
    assert warm and warm[0]["modules"]["generator"]["taken"] == warm[0]["modules"]["generator"]["total"]
    result = json.loads((run_dir / "evaluation.json").read_text())
    assert result["start_vs_teacher_l1"] < 1e-4
    assert result["start_vs_teacher_psnr"] > 60

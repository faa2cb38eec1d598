"""The Train tab's modes: Distil for live and Personalize build their commands from the tab's inputs
(nothing is launched here: `_launch` is replaced, and `trainer.distill` is not run), and the run view
follows a distillation's own loss names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fomm_studio.api import Settings, build_command, build_distill_command
from fomm_studio.model_registry import DEFAULT_CHECKPOINT
from fomm_studio.paths import CONFIGS_DIR

pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def launched(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Requests the tab would launch; the tab's own launcher is never called."""
    from ui.train.panel import TrainPanel

    requests: list[object] = []
    monkeypatch.setattr(TrainPanel, "_launch", lambda _self, request: requests.append(request) or True)
    return requests


def test_each_mode_shows_its_own_inputs_and_is_remembered(make_window) -> None:
    window = make_window()
    panel = window.train
    window.tabs.setCurrentWidget(panel)
    assert panel.mode_choice.mode() == "train"
    assert panel.config_form.isVisible() and not panel.distill_form.isVisible()
    panel.mode_choice.buttons["distill"].click()
    assert window.settings.train_mode == "distill"
    assert (
        panel.distill_form.isVisible() and panel.dataset_box.isVisible() and not panel.config_form.isVisible()
    )
    assert not panel.controls.init_edit.isVisible() and not panel.controls.workers.isVisible()
    panel.mode_choice.buttons["personalize"].click()
    assert panel.personalize_box.isVisible() and not panel.dataset_box.isVisible()
    assert not panel.distill_form.isVisible() and panel.controls.workers.isVisible()
    panel.mode_choice.buttons["train"].click()
    assert panel.config_form.isVisible() and panel.controls.init_edit.isVisible()


def test_the_mode_comes_back_from_the_settings(make_window, tiny_entry) -> None:
    _registry, entry = tiny_entry
    panel = make_window(Settings(model_id=entry.model_id, camera="synthetic", train_mode="personalize")).train
    assert panel.mode_choice.mode() == "personalize" and not panel.personalize_box.isHidden()


def test_distil_for_live_detects_the_teacher_config_and_builds_the_distill_command(
    qtbot, make_window, launched: list[object], tmp_path: Path
) -> None:
    panel = make_window().train
    panel.controls.runs_root = tmp_path / "runs"
    panel.mode_choice.buttons["distill"].click()
    form = panel.distill_form
    data = tmp_path / "videos"
    data.mkdir()
    avatar = tmp_path / "face.png"
    avatar.write_bytes(b"png")
    panel.dataset_box.folder_edit.setText(str(data))
    form.teacher_edit.setText(
        str(DEFAULT_CHECKPOINT)
    )  # a real checkpoint: its config is found from its tensors
    form.detect_teacher_config()
    qtbot.waitUntil(lambda: form.detected_config is not None, timeout=60000)
    assert form.detect_label.text() == "Teacher config: lite-256 (detected from its tensors)"
    form.kind_combo.setCurrentIndex(form.kind_combo.findData("full"))
    form.avatars_edit.setText(f"{avatar}; {tmp_path}")
    form.max_steps.setValue(40)
    assert panel.start_training()
    (request,) = launched
    command = build_distill_command(request, cuda_count=0)  # type: ignore[arg-type]
    run = str(request.run_dir.resolve())  # type: ignore[attr-defined]
    assert command[1:] == [
        "-m", "trainer.distill",
        "--teacher-config", str((CONFIGS_DIR / "lite-256.yaml").resolve()),
        "--teacher", str(DEFAULT_CHECKPOINT.resolve()),
        "--student-config", str((CONFIGS_DIR / "lite-256.yaml").resolve()),
        "--student-kind", "full",
        "--data", str(data.resolve()),
        "--avatars", str(avatar.resolve()), str(tmp_path.resolve()),
        "--run-dir", run,
        "--max-steps", "40",
        "--device", panel.controls.device(),
    ]  # fmt: skip
    assert Path(run).parent == (tmp_path / "runs").resolve()


def test_distil_refuses_a_teacher_whose_config_is_unknown(
    qtbot, make_window, launched: list[object], tiny_checkpoint: Path, tmp_path: Path
) -> None:
    panel = make_window().train
    panel.controls.runs_root = tmp_path / "runs"
    panel.mode_choice.buttons["distill"].click()
    form = panel.distill_form
    panel.dataset_box.folder_edit.setText(str(tmp_path))
    form.teacher_edit.setText(str(tiny_checkpoint))  # fits no packaged config
    errors: list[str] = []
    panel.error.connect(errors.append)
    form.detect_teacher_config()
    qtbot.waitUntil(lambda: "Choose the teacher's config" in form.detect_label.text(), timeout=60000)
    assert "tiny.pth.tar: fits none of the packaged configs" in errors[-1]
    assert not panel.start_training() and not launched
    assert errors[-1] == (
        f"Cannot start distillation: {tiny_checkpoint}: the teacher's config is not known; choose its YAML config"
    )


def test_personalize_refuses_until_a_clip_is_recorded_then_fine_tunes_the_live_model(
    make_window, tiny_entry, launched: list[object], tmp_path: Path
) -> None:
    _registry, entry = tiny_entry
    dataset = tmp_path / "my-face"
    settings = Settings(model_id=entry.model_id, camera="synthetic", clip_dataset=str(dataset))
    panel = make_window(settings).train
    panel.controls.runs_root = tmp_path / "runs"
    panel.mode_choice.buttons["personalize"].click()
    box = panel.personalize_box
    assert box.model_label.text() == "tiny test model"
    assert box.clips_label.text().startswith(f"None recorded yet in {dataset / 'train'}")
    errors: list[str] = []
    panel.error.connect(errors.append)
    assert not panel.start_training() and not launched
    assert errors == [
        f"Cannot start Personalize: {dataset / 'train'}: no training clip recorded yet; record one in the "
        "Live tab (Record training clip) first"
    ]
    assert not (tmp_path / "runs").exists()
    (dataset / "train").mkdir(parents=True)
    (dataset / "train" / "clip-20260101-120000.mp4").write_bytes(b"video")
    box.refresh()
    assert box.clips_label.text() == f"1 clip in {dataset / 'train'}"
    assert panel.start_training(), errors
    (request,) = launched
    command = build_command(request, cuda_count=0)  # type: ignore[arg-type]
    run = request.run_dir.resolve()  # type: ignore[attr-defined]
    assert command[command.index("--init-from") + 1] == str(entry.checkpoint_path.resolve())
    assert command[command.index("--config") + 1] == str(run / "config.yaml")
    assert command[command.index("--data") + 1] == str(dataset.resolve())
    assert command[command.index("--max-steps") + 1] == "300"
    assert (run / "config.yaml").is_file()


def test_the_run_view_plots_a_distillations_loss_names(make_window, tmp_path: Path) -> None:
    panel = make_window().train
    run = tmp_path / "distill-run"
    run.mkdir()
    names = ("distill_prediction", "distill_deformation", "distill_occlusion", "perceptual")
    lines = [{"type": "start", "max_steps": 2}] + [
        {"type": "step", "step": s, "losses": {n: 0.5 / s for n in names}, "lr": {"student": 1e-4}}
        for s in (1, 2)
    ]
    (run / "events.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    panel.show_run(run)
    assert set(panel.run_view.loss_plot.curves) == set(names)
    curve = panel.run_view.loss_plot.curves["distill_occlusion"]
    x, y = curve.xData, curve.yData
    assert list(x) == [1.0, 2.0] and list(y) == pytest.approx([0.5, 0.25])
    assert all(name in panel.run_view.loss_plot.legend.text() for name in names)


def test_resume_continues_a_distillation_or_personalize_run_in_its_own_mode(
    make_window, launched: list[object], tmp_path: Path
) -> None:
    from fomm_studio.api import DistillRequest, LaunchRequest

    panel = make_window(Settings(clip_dataset=str(tmp_path / "my-face"))).train
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("model_params: {}\n")
    panel.controls.run_edit.setText(str(run))
    panel.mode_choice.buttons["personalize"].click()
    assert panel.resume_training()
    panel.mode_choice.buttons["distill"].click()
    errors: list[str] = []
    panel.error.connect(errors.append)
    assert not panel.resume_training()  # a folder whose log names no distillation
    assert errors == [
        f"Cannot resume distillation: {run / 'events.jsonl'}: no start event; this folder holds no run to resume"
    ]
    # the run's own teacher, data, avatars and kind, read from its log: the form is empty (app restarted)
    data, avatar = tmp_path / "faces", tmp_path / "me.png"
    data.mkdir()
    avatar.write_bytes(b"png")
    start = {
        "type": "start",
        "teacher": str(DEFAULT_CHECKPOINT),
        "teacher_config": str(CONFIGS_DIR / "lite-256.yaml"),
        "student_kind": "full",
        "data": str(data),
        "avatars": [str(avatar)],
    }
    (run / "events.jsonl").write_text(json.dumps(start) + "\n")
    assert panel.distill_form.teacher_checkpoint() is None
    assert panel.resume_training(), errors
    personalize, distill = launched
    assert isinstance(personalize, LaunchRequest) and personalize.resume
    assert personalize.data_dir == tmp_path / "my-face" and personalize.config_path is None
    assert isinstance(distill, DistillRequest) and distill.resume and distill.run_dir == run
    command = build_distill_command(distill, cuda_count=0)
    assert "--resume" in command
    assert command[command.index("--teacher") + 1] == str(DEFAULT_CHECKPOINT.resolve())
    assert command[command.index("--student-kind") + 1] == "full"
    assert command[command.index("--student-config") + 1] == str((run / "config.yaml").resolve())
    assert command[command.index("--data") + 1] == str(data.resolve())
    assert command[command.index("--avatars") + 1] == str(avatar.resolve())

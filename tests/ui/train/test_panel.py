"""The Train tab drives real training processes (tiny 64 px config, weights-free loss) end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from fomm_studio.training.config_edits import PRESETS
from fomm_studio.training.supervisor import is_running, kill_training, read_status
from tests.trainer.videos import make_frames, write_mp4
from tests.ui.conftest import save_artifact

pytestmark = pytest.mark.timeout(180)
WAIT_MS = 150000  # a training process on a busy 2-core machine: generous, the condition ends it early


@pytest.fixture()
def videos(tmp_path: Path) -> Path:
    """Three small clips of a moving textured shape (a flat folder: split into train and test)."""
    folder = tmp_path / "videos"
    folder.mkdir()
    for i in range(3):
        write_mp4(folder / f"clip{i}.mp4", make_frames(i, 12, 64))
    return folder


@pytest.fixture()
def runs(tmp_path: Path) -> Iterator[Path]:
    """Run folders of the test; fails (after killing it) if a training process outlives the test."""
    root = tmp_path / "runs"
    yield root
    left = [p for p in root.glob("*") if is_running(read_status(p))]
    for run in left:
        status = read_status(run)
        if status is not None:
            kill_training(status)
    assert not left, f"training still running after the test in {left}"


def prepare(window, qtbot, tiny_config_path: Path, videos: Path, runs: Path, max_steps: int, epochs: int = 2):
    """The Train tab set up for the tiny config on `videos`, with its dataset report shown."""
    panel = window.train
    panel.close_question = lambda: "stop"  # a failing test must never block on the real question box
    panel.cache_dir = runs.parent / "cache"
    panel.controls.runs_root = runs
    panel.sample_every, panel.checkpoint_every = 2, 3
    panel.timer.setInterval(200)
    window.tabs.setCurrentWidget(panel)
    assert panel.load_config(tiny_config_path)
    panel.config_form.backend_combo.setCurrentText("pyramid_l1_ssim")
    panel.config_form.max_steps.setValue(max_steps)
    panel.config_form.num_epochs.setValue(epochs)
    with qtbot.waitSignal(panel.report_ready, timeout=60000) as report:
        panel.set_dataset(videos)
    return panel, report.args[0]


def start_long_training(window, qtbot, tiny_config_path: Path, videos: Path, runs: Path):
    """A training that would run for ages, started from the Train tab and past its first step."""
    panel, _ = prepare(window, qtbot, tiny_config_path, videos, runs, max_steps=0, epochs=10000)
    assert panel.start_training()
    run_dir = Path(panel.controls.run_edit.text())
    qtbot.waitUntil(lambda: panel.run_view.monitor.last_step is not None, timeout=WAIT_MS)
    return panel, run_dir


def events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]


def test_train_tab_runs_a_real_training_and_uses_it_live(qtbot, make_window, tiny_config_path, videos, runs):
    window = make_window()
    panel, report = prepare(window, qtbot, tiny_config_path, videos, runs, max_steps=6)
    assert "2 train, 1 test videos" in report and "64x64" in report
    panel.config_form.num_kp.setValue(4)
    assert panel.start_training()
    run_dir = Path(panel.controls.run_edit.text())
    assert (
        run_dir.parent == runs
        and panel.controls.stop_button.isEnabled()
        and not panel.controls.start_button.isEnabled()
    )
    screenshot: list[Path] = []

    def running_with_curves() -> None:
        assert "total" in panel.run_view.loss_plot.curves
        assert len(panel.run_view.loss_plot.curves["total"].getData()[0]) >= 2
        if not screenshot:
            screenshot.append(save_artifact(window, "train-tab.png"))  # taken while the training runs

    qtbot.waitUntil(running_with_curves, timeout=WAIT_MS)
    with qtbot.waitSignal(panel.training_finished, timeout=WAIT_MS) as finished:
        pass
    assert finished.args == ["finished"]
    steps, totals = panel.run_view.loss_plot.curves["total"].getData()
    assert list(steps) == [1, 2, 3, 4, 5, 6] and all(v > 0 for v in totals)
    assert set(panel.run_view.loss_plot.curves) >= {"reconstruction", "equivariance_value", "total"}
    assert len(panel.run_view.lr_plot.curves["generator"].getData()[0]) == 6
    assert panel.run_view.sample_view.has_image()
    labels = [
        panel.run_view.checkpoints.item(r, 0).text() for r in range(panel.run_view.checkpoints.rowCount())
    ]
    assert labels[0] == "step 6" and labels[-1].startswith("best")
    assert "finished at step 6" in panel.controls.state_label.text()
    assert (
        "dataset" in panel.run_view.log_view.contents()
    )  # the trainer's dataset summary reached the log view
    written = (run_dir / "config.yaml").read_text()
    assert "num_kp: 4" in written and "perceptual_backend: pyramid_l1_ssim" in written
    assert read_status(run_dir).exit_code == 0
    assert window.settings.train_dataset == str(videos) and window.settings.train_run_dir == str(run_dir)

    panel.run_view.use_button.click()  # best.pth.tar is selected by default
    entry = window.current_model()
    assert entry.kind == "run" and entry.checkpoint_path == run_dir / "checkpoints" / "best.pth.tar"
    assert entry.is_ready and window.tabs.currentWidget() is window.live
    remembered = [m for m in window.settings.custom_models if m.get("kind") == "run"]
    assert [m["checkpoint"] for m in remembered] == [str(entry.checkpoint_path)]  # kept for the next start


def test_stop_button_stops_a_long_training_through_the_stop_file(
    qtbot, make_window, tiny_config_path, videos, runs
):
    window = make_window()
    panel, run_dir = start_long_training(window, qtbot, tiny_config_path, videos, runs)
    with qtbot.waitSignal(panel.training_finished, timeout=WAIT_MS) as finished:
        panel.controls.stop_button.click()
    assert finished.args == ["stopped"]
    kinds = [e["type"] for e in events(run_dir)]
    assert kinds[-1] == "stopped" and "checkpoint" in kinds
    assert (
        panel.run_view.checkpoints.rowCount() >= 1 and "stopped at step" in panel.controls.state_label.text()
    )
    assert panel.controls.start_button.isEnabled() and panel.controls.resume_button.isEnabled()

    panel.config_form.num_kp.setValue(
        7
    )  # an edit Resume does not use: the panel shows the run's own numbers again
    assert panel.resume_training()
    assert (
        panel.config_form.num_kp.value() == 5 and "run's own config" in panel.config_form.config_label.text()
    )
    qtbot.waitUntil(lambda: "resumed" in [e["type"] for e in events(run_dir)], timeout=WAIT_MS)
    with qtbot.waitSignal(panel.training_finished, timeout=WAIT_MS) as finished:
        panel.controls.stop_button.click()
    assert finished.args == ["stopped"]


def test_closing_asks_and_a_left_training_is_followed_then_stopped(
    qtbot, make_window, tiny_config_path, videos, runs
):
    window = make_window()
    panel, run_dir = start_long_training(window, qtbot, tiny_config_path, videos, runs)
    panel.close_question = lambda: "cancel"
    assert not window.close() and window.isVisible() and panel.is_running()
    panel.close_question = lambda: "leave"
    assert window.close()
    assert is_running(read_status(run_dir))  # detached: closing the window did not kill it

    second = make_window(window.settings)  # remembers the run folder and follows the running training
    follower = second.train
    assert follower.is_running() and follower.controls.stop_button.isEnabled()
    follower.timer.setInterval(200)
    qtbot.waitUntil(lambda: "total" in follower.run_view.loss_plot.curves, timeout=WAIT_MS)
    follower.close_question = lambda: "stop"
    follower.close_wait_s = 120
    assert second.close()
    status = read_status(run_dir)
    assert not is_running(status) and status.exit_code == 0
    assert events(run_dir)[-1]["type"] == "stopped"


def test_a_failing_training_shows_its_error(qtbot, make_window, tiny_config_path, videos, runs, tmp_path):
    window = make_window()
    panel, _ = prepare(window, qtbot, tiny_config_path, videos, runs, max_steps=2)
    empty = tmp_path / "empty"
    empty.mkdir()
    panel.dataset_box.folder_edit.setText(str(empty))  # no videos: the trainer itself fails
    errors: list[str] = []
    panel.error.connect(errors.append)
    assert panel.start_training()
    with qtbot.waitSignal(panel.training_finished, timeout=WAIT_MS) as finished:
        pass
    assert finished.args == ["failed"]
    assert errors and errors[-1].startswith("Training failed (exit code 2)")
    assert "no usable training video" in errors[-1]
    assert (
        panel.run_view.log_view.text.isVisible()
        and "no usable training video" in panel.run_view.log_view.contents()
    )


def test_inputs_are_checked_before_anything_starts(
    qtbot, make_window, tiny_config_path, videos, runs, tmp_path, monkeypatch
):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    window = make_window()
    panel = window.train
    panel.controls.runs_root = runs
    errors: list[str] = []
    panel.error.connect(errors.append)
    panel.dataset_box.folder_edit.setText("")
    assert not panel.start_training() and "choose a dataset folder first" in errors[-1]
    panel.config_form.backend_combo.setCurrentText("vgg19")
    assert (
        panel.config_form.vgg_warning.isVisibleTo(panel)
        and "VGG-19 weights not found" in panel.config_form.vgg_warning.text()
    )
    panel.dataset_box.folder_edit.setText(str(videos))
    assert not panel.start_training() and "VGG-19 weights not found" in errors[-1]
    panel.config_form.backend_combo.setCurrentText("pyramid_l1_ssim")
    assert not panel.config_form.vgg_warning.isVisibleTo(panel)
    panel.controls.init_edit.setText(str(tmp_path / "missing.pth.tar"))
    assert not panel.start_training() and "missing.pth.tar: checkpoint to start from not found" in errors[-1]
    panel.controls.init_edit.setText("")
    assert not runs.exists()  # nothing was written

    assert panel.load_config(tiny_config_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(videos))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)  # fmt: skip
    with qtbot.waitSignal(panel.report_ready, timeout=60000):
        panel.cache_dir = tmp_path / "cache"
        panel.dropEvent(drop)
    assert (
        panel.dataset_box.folder_edit.text() == str(videos)
        and "2 train" in panel.dataset_box.report_view.toPlainText()
    )

    lite = next(p for p in PRESETS if "lite" in p.path.name)  # 256x256 frames instead of the tiny 64x64
    with qtbot.waitSignal(panel.report_ready, timeout=60000):
        assert panel.load_config(lite.path)
    assert (
        panel.config_form.frame_size.text() == "256 x 256 x 3"
        and "2 train" in panel.dataset_box.report_view.toPlainText()
    )
    with qtbot.assertNotEmitted(panel.report_ready, wait=300):
        assert panel.load_config(lite.path)  # same frame size: the report stands


def test_start_is_disabled_with_the_reason_when_the_dataset_has_no_training_video(
    qtbot, make_window, videos, runs, tmp_path
) -> None:
    window = make_window()
    panel = window.train
    panel.cache_dir = tmp_path / "cache"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.mp4").write_text("not a video")  # found, but unreadable: 0 train videos
    with qtbot.waitSignal(panel.report_ready, timeout=60000):
        panel.set_dataset(empty)
    start, resume = panel.controls.start_button, panel.controls.resume_button
    assert not start.isEnabled() and not resume.isEnabled()
    assert "no usable training video" in start.toolTip()
    assert "Cannot start" in panel.controls.state_label.text()
    with qtbot.waitSignal(panel.report_ready, timeout=60000):
        panel.set_dataset(videos)
    assert start.isEnabled() and resume.isEnabled() and "Cannot start" not in start.toolTip()
    assert panel.controls.state_label.text() == "No training running"


def test_start_after_a_finished_run_starts_a_new_run_folder(
    qtbot, make_window, tiny_config_path, videos, runs, monkeypatch
) -> None:
    window = make_window()
    panel = window.train
    panel.controls.runs_root = runs
    assert panel.load_config(tiny_config_path)
    panel.config_form.backend_combo.setCurrentText("pyramid_l1_ssim")
    panel.dataset_box.folder_edit.setText(str(videos))
    finished = runs / "run-finished"
    finished.mkdir(parents=True)
    (finished / "events.jsonl").write_text('{"type": "step", "step": 1}\n')  # a run trained here
    panel.controls.run_edit.setText(str(finished))
    panel.show_run(finished)  # as typing the folder does
    assert "Start begins a new run in a new folder" in panel.controls.state_label.text()
    launched = []
    monkeypatch.setattr(panel, "_launch", lambda request: launched.append(request) or True)
    errors: list[str] = []
    panel.error.connect(errors.append)
    assert panel.start_training(), errors
    new = launched[0].run_dir
    assert new != finished and new.parent == runs and (new / "config.yaml").is_file()
    assert not (finished / "config.yaml").exists()  # the finished run is left as it was

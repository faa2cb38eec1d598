"""A checkpoint alone in the model picker: its config is detected by the background check (never on
the GUI thread) and shown; a checkpoint dropped anywhere on the window is added and selected, and one
that fits no packaged config is refused with one line in the status bar."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from fomm_studio.api import ModelRegistry
from fomm_studio.model_registry import DEFAULT_CHECKPOINT
from tests.ui.test_main_window import drop_event

pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def lite_copy(tmp_path: Path) -> Path:
    """The embedded default's weights under another name: a checkpoint of the lite-256 config."""
    return Path(shutil.copy(DEFAULT_CHECKPOINT, tmp_path / "my-model.pth.tar"))


def test_a_checkpoint_alone_gets_its_config_detected_off_the_gui_thread(
    qtbot, make_window, lite_copy, monkeypatch
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.model_badge.text() == "ready", timeout=30000)
    checked_in: list[threading.Thread] = []
    check = ModelRegistry.check

    def spy(registry, model_id):
        checked_in.append(threading.current_thread())
        return check(registry, model_id)

    monkeypatch.setattr(ModelRegistry, "check", spy)
    worker = window.add_model_files(None, lite_copy)
    assert worker is not None and "detecting its config" in window.status_label.text()
    with qtbot.waitSignal(worker.finished, timeout=30000):
        pass
    qtbot.waitUntil(lambda: window.current_model().checkpoint_path == lite_copy, timeout=5000)
    assert checked_in and threading.main_thread() not in checked_in
    assert window.model_combo.currentText() == "my-model.pth.tar [lite-256]"
    assert "config: lite-256 (detected from the checkpoint)" in window.model_badge.toolTip()
    assert "lite-256" in window.status_label.text()
    saved = window.settings.custom_models[-1]
    assert saved["checkpoint"] == str(lite_copy) and saved["config"] == ""  # detected again next time
    models = window.current_model().load("cpu")
    assert models.config.model_params.common_params.num_kp == 10


def test_a_checkpoint_dropped_on_any_pane_is_added_and_selected(qtbot, make_window, lite_copy) -> None:
    window = make_window()
    target = window.live.output_view  # the Live tab takes image and video drops itself
    enter = drop_event([lite_copy], "enter")
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(target, drop_event([lite_copy]))  # Qt hands it to the drag's target
    qtbot.waitUntil(lambda: window.current_model().checkpoint_path == lite_copy, timeout=30000)
    assert window.model_badge.text() == "ready" and "[lite-256]" in window.model_combo.currentText()
    assert window.live.gallery.current_path() != lite_copy  # not taken for an avatar


def test_a_dropped_checkpoint_of_no_config_is_refused_with_one_status_line(
    qtbot, make_window, golden_dir
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.model_badge.text() == "ready", timeout=30000)  # the start-up check
    before = [window.model_combo.itemText(i) for i in range(window.model_combo.count())]
    small = golden_dir / "small" / "checkpoint.pth.tar"
    enter = drop_event([small], "enter")
    QApplication.sendEvent(window.animate, enter)  # no drops taken there: up to the window
    assert enter.isAccepted()
    QApplication.sendEvent(window.animate, drop_event([small]))  # Qt hands it to the drag's target
    qtbot.waitUntil(lambda: "Model not added" in window.status_label.text(), timeout=30000)
    text = window.status_label.text()
    assert "fits none of the packaged configs (10 keypoints" in text and "\n" not in text
    assert not [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert [window.model_combo.itemText(i) for i in range(window.model_combo.count())] == before


def test_open_model_offers_a_checkpoint_alone(qtbot, make_window, lite_copy, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    asked: list[str] = []

    def pick(_parent, title, *_args):
        asked.append(title)
        return str(lite_copy), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    assert window.open_button.menu().actions() == [
        window.model_bar.open_checkpoint_action,
        window.model_bar.open_pair_action,
    ]
    window.model_bar.open_checkpoint_action.trigger()
    assert asked == ["Open FOMM checkpoint"]  # one dialog: no config asked for
    qtbot.waitUntil(lambda: window.current_model().checkpoint_path == lite_copy, timeout=30000)
    assert window.model_combo.currentText() == "my-model.pth.tar [lite-256]"

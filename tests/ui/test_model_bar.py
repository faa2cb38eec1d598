"""The model bar: a config + checkpoint is checked in a worker before it is listed, models that fail a
check or a load are marked failed with the reason, and added models can be removed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from fomm_studio.api import DEFAULT_MODEL_ID, ModelRegistry, Settings

pytestmark = pytest.mark.timeout(120)


def copy_model(tmp_path: Path, config: Path, checkpoint: Path, name: str) -> tuple[Path, Path]:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "model.yaml").write_bytes(config.read_bytes())
    (folder / "model.pth.tar").write_bytes(checkpoint.read_bytes())
    return folder / "model.yaml", folder / "model.pth.tar"


def combo_texts(window) -> list[str]:
    return [window.model_combo.itemText(i) for i in range(window.model_combo.count())]


def test_a_text_file_as_checkpoint_is_refused_by_a_check_off_the_gui_thread(
    qtbot, make_window, tiny_config_path, tmp_path, monkeypatch
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.model_badge.text() == "ready", timeout=30000)  # the start-up check
    before = window.current_model().model_id
    checked_in: list[threading.Thread] = []
    check = ModelRegistry.check

    def spy(registry, model_id):
        checked_in.append(threading.current_thread())
        return check(registry, model_id)

    monkeypatch.setattr(ModelRegistry, "check", spy)
    notes = tmp_path / "notes.pth.tar"
    notes.write_text("just some text, not a checkpoint\n")
    window.add_model_files(tiny_config_path, notes)
    assert window.status_label.text().startswith("Checking notes.pth.tar")
    assert len(combo_texts(window)) == 2  # not listed while it is checked
    qtbot.waitUntil(lambda: "Model not added" in window.status_label.text(), timeout=30000)
    assert "notes.pth.tar" in window.status_label.text()
    assert "\n" not in window.status_label.text()  # one line
    boxes = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert boxes and "notes.pth.tar" in boxes[0].text()
    assert checked_in and threading.main_thread() not in checked_in
    assert len(combo_texts(window)) == 2 and window.current_model().model_id == before
    assert window.model_badge.text() == "ready"
    assert all("notes.pth.tar" not in m["checkpoint"] for m in window.settings.custom_models)


def test_a_good_pair_is_listed_selected_and_remembered_once_checked(
    qtbot, make_window, tiny_config_path, tiny_checkpoint, tmp_path
) -> None:
    window = make_window()
    config, checkpoint = copy_model(tmp_path, tiny_config_path, tiny_checkpoint, "second")
    worker = window.add_model_files(config, checkpoint)
    with qtbot.waitSignal(worker.finished, timeout=30000):
        pass
    qtbot.waitUntil(lambda: window.current_model().checkpoint_path == checkpoint, timeout=5000)
    assert window.model_badge.text() == "ready" and len(combo_texts(window)) == 3
    assert [m["checkpoint"] for m in window.settings.custom_models][-1] == str(checkpoint)


def test_a_restored_model_that_fails_its_check_is_marked_failed_and_can_be_removed(
    qtbot, make_window, tiny_entry, tiny_config_path, tmp_path
) -> None:
    registry, _entry = tiny_entry
    config, checkpoint = copy_model(tmp_path, tiny_config_path, tiny_config_path, "broken")  # yaml as weights
    registry.restore([{"config": str(config), "checkpoint": str(checkpoint), "name": "broken"}])
    broken = registry.entries()[-1]
    window = make_window(Settings(model_id=broken.model_id, camera="synthetic"))
    qtbot.waitUntil(lambda: window.model_badge.text() == "failed", timeout=30000)
    assert "broken (failed)" in combo_texts(window)
    assert "model.pth.tar" in window.model_badge.toolTip()
    assert "failed" in window.live.output_view.message
    errors: list[str] = []
    window.live.error.connect(errors.append)
    assert window.live.start() is False  # refused at once, with the reason
    assert errors and "model.pth.tar" in errors[-1] and not window.live.running

    assert window.remove_button.isEnabled()
    window.remove_button.click()
    assert broken.model_id not in registry and window.current_model().model_id == DEFAULT_MODEL_ID
    assert all(m["checkpoint"] != str(checkpoint) for m in window.settings.custom_models)
    assert not window.remove_button.isEnabled() and "cannot be removed" in window.remove_button.toolTip()
    assert checkpoint.is_file()  # forgotten, not deleted


def test_a_model_that_fails_to_load_at_start_is_marked_failed_until_it_checks_again(
    qtbot, make_window, tiny_entry, tiny_config_path, tiny_checkpoint, avatar_path, tmp_path
) -> None:
    registry, _entry = tiny_entry
    config, checkpoint = copy_model(tmp_path, tiny_config_path, tiny_checkpoint, "later-broken")
    registry.restore([{"config": str(config), "checkpoint": str(checkpoint), "name": "later"}])
    later = registry.entries()[-1]
    window = make_window(Settings(model_id=later.model_id, camera="synthetic"))
    window.live.gallery.add(avatar_path)
    qtbot.waitUntil(lambda: window.model_badge.text() == "ready", timeout=30000)
    good = checkpoint.read_bytes()
    checkpoint.write_text("overwritten after the check\n")
    assert window.live.start()
    qtbot.waitUntil(lambda: window.model_badge.text() == "failed", timeout=30000)
    assert "later (failed)" in combo_texts(window) and "model.pth.tar" in window.model_badge.toolTip()
    qtbot.waitUntil(lambda: window.live.start_button.text() == "Start", timeout=10000)
    assert window.live.start() is False

    checkpoint.write_bytes(good)  # fixed on disk: picking the model again checks it again
    window._on_model_activated(window.model_combo.currentIndex())
    qtbot.waitUntil(lambda: window.model_badge.text() == "ready", timeout=30000)
    assert window.live.start()
    with qtbot.waitSignal(window.live.frame_shown, timeout=30000):
        pass

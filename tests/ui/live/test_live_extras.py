"""The Live tab's aids for a real portrait: the hint when a camera drives the built-in model, the
alignment overlay with its figure, avatar hotkeys, paste-back on/off and Copy diagnostics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fomm_studio.api import SyntheticFeed
from tests.doubles import WebcamStandIn

pytestmark = pytest.mark.timeout(120)


class StillFeed(SyntheticFeed):
    """The synthetic face holding still: every frame is the same, so a pane changes only by an overlay."""

    def read(self) -> np.ndarray:
        self.frame_index = 0
        return super().read()


def _grab(view) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    pixels = np.frombuffer(image.constBits(), np.uint8, stride * height).reshape(height, stride)
    return pixels[:, : width * 3].copy()  # a copy: the QImage's memory goes with it


def _next_frames(qtbot, live, count: int = 1) -> None:
    for _ in range(count):
        with qtbot.waitSignal(live.frame_shown, timeout=30000):
            pass


def test_a_camera_on_the_default_model_shows_the_hint_whose_buttons_lead_on(
    qtbot, make_window, tiny_entry, avatar_path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    from fomm_studio.api import DEFAULT_CHECKPOINT, DEFAULT_MODEL_ID, Settings
    from tests.conftest import tiny_live_builder

    _registry, entry = tiny_entry
    window = make_window(Settings(model_id=DEFAULT_MODEL_ID, camera="0"))
    live, hint = window.live, window.live.model_hint
    assert window.current_model().kind == "default" and not hint.isVisible()
    live.gallery.add(avatar_path)
    assert live.start(tiny_live_builder(entry.load, avatar_path, feed=lambda _spec: WebcamStandIn()))
    _next_frames(qtbot, live)
    assert hint.isVisible() and "trained on drawn faces" in hint.text.text()

    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (asked.append(a[1]), ("", ""))[1])
    hint.load_button.click()  # the model picker's add action
    assert asked and "config" in asked[0].lower()
    hint.finetune_button.click()
    assert window.tabs.currentWidget() is window.train
    assert window.train.controls.init_edit.text() == str(DEFAULT_CHECKPOINT)
    assert window.train.config_form.preset_combo.currentText().startswith("lite-256")
    assert "Fine-tune" in window.status_label.text()
    window.tabs.setCurrentWidget(live)
    hint.distil_button.click()
    assert window.tabs.currentWidget() is window.train and "Distil" in window.status_label.text()
    window.tabs.setCurrentWidget(live)

    hint.dismiss_button.click()
    assert not hint.isVisible() and window.settings.default_model_hint_dismissed
    _next_frames(qtbot, live, 2)
    assert not hint.isVisible()  # remembered: the camera's next frames do not bring it back
    live.stop()
    qtbot.waitUntil(lambda: not live.running, timeout=20000)


@pytest.mark.parametrize("model", ["default", "tiny"])
def test_no_hint_for_the_sample_face_or_a_model_of_ones_own(
    qtbot, make_window, tiny_entry, avatar_path, model: str
) -> None:
    from fomm_studio.api import DEFAULT_MODEL_ID, Settings
    from tests.conftest import tiny_live_builder

    _registry, entry = tiny_entry
    window = make_window(Settings(model_id=DEFAULT_MODEL_ID if model == "default" else entry.model_id))
    live = window.live
    live.gallery.add(avatar_path)
    feed = (
        (lambda _spec: SyntheticFeed(96, realtime=False))
        if model == "default"
        else (lambda _s: WebcamStandIn())
    )
    assert live.start(tiny_live_builder(entry.load, avatar_path, feed=feed))
    _next_frames(qtbot, live, 2)
    assert not live.model_hint.isVisible()


def test_aligning_lays_the_avatar_over_the_camera_and_shows_the_figure(
    qtbot, make_window, tiny_entry, avatar_path
) -> None:
    from tests.conftest import tiny_live_builder

    _registry, entry = tiny_entry
    window = make_window()
    live, alignment = window.live, window.live.controls.align_bar
    live.gallery.add(avatar_path)
    assert live.start(
        tiny_live_builder(entry.load, avatar_path, feed=lambda _s: StillFeed(96, realtime=False))
    )
    _next_frames(qtbot, live, 2)
    before = _grab(live.driving_view)
    assert alignment.figure.text() == "" and not alignment.opacity_slider.isEnabled()

    window.activateWindow()
    qtbot.keyClick(window, "A")  # the key, as the checkbox's label says
    assert alignment.aligning and alignment.opacity_slider.isEnabled()
    qtbot.waitUntil(lambda: live.worker.pipeline.options.align_opacity > 0, timeout=10000)
    _next_frames(qtbot, live, 2)
    during = _grab(live.driving_view)
    assert np.abs(during.astype(int) - before.astype(int)).mean() > 3  # the avatar shows through
    figure = alignment.figure.text()
    assert figure.startswith("Off by ") and figure.endswith(" % of frame")
    assert float(figure.split()[2]) >= 0.0

    alignment.opacity_slider.setValue(90)  # more avatar, less camera
    assert window.settings.align_opacity == 0.9
    qtbot.waitUntil(lambda: live.worker.pipeline.options.align_opacity == 0.9, timeout=10000)
    _next_frames(qtbot, live, 2)
    stronger = _grab(live.driving_view)
    assert (
        np.abs(stronger.astype(int) - before.astype(int)).mean()
        > np.abs(during.astype(int) - before.astype(int)).mean()
    )

    live.calibrate()  # ends aligning: the overlay and the figure go
    assert not alignment.aligning and alignment.figure.text() == ""
    qtbot.waitUntil(lambda: live.worker.pipeline.options.align_opacity == 0, timeout=10000)
    _next_frames(qtbot, live, 2)
    assert np.abs(_grab(live.driving_view).astype(int) - before.astype(int)).mean() < 1


def test_keys_1_to_9_pick_avatars_and_left_right_cycle_them(
    qtbot, make_window, avatar_path: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    from fomm_studio.api import save_png

    window = make_window()
    live = window.live
    paths = [avatar_path]
    for n in (2, 3):
        paths.append(save_png(tmp_path / f"avatar{n}.png", np.full((64, 64, 3), 40 * n, np.uint8)))
    for path in paths:
        live.gallery.add(path)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.tabs.setFocus()
    qtbot.keyClick(window, "1")
    assert live.gallery.current_path() == paths[0] and window.settings.avatar == str(paths[0])
    qtbot.keyClick(window, "3")
    assert live.gallery.current_path() == paths[2]
    qtbot.keyClick(window, "9")  # no ninth avatar: the selection stays
    assert live.gallery.current_path() == paths[2]
    qtbot.keyClick(window, Qt.Key.Key_Right)  # wraps to the first
    assert live.gallery.current_path() == paths[0]
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert live.gallery.current_path() == paths[2]
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert live.gallery.current_path() == paths[1]
    assert live.controls.offset == (0.0, 0.0)  # arrows pick avatars; Shift+arrows move the crop
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert live.controls.offset[0] > 0 and live.gallery.current_path() == paths[1]


def test_paste_back_is_a_remembered_checkbox_that_reaches_the_worker(qtbot, make_window, avatar_path) -> None:
    window = make_window()
    live, check = window.live, window.live.controls.paste_back
    assert check.isChecked() and live.controls.options().paste_back
    live.gallery.add(avatar_path)
    assert live.start()
    _next_frames(qtbot, live)
    check.click()
    assert not window.settings.paste_back and not live.controls.options().paste_back
    qtbot.waitUntil(lambda: not live.worker.pipeline.options.paste_back, timeout=10000)


def test_keep_detail_is_a_remembered_checkbox_that_reaches_the_worker(
    qtbot, make_window, avatar_path
) -> None:
    window = make_window()
    live, check = window.live, window.live.controls.keep_detail
    assert check.isChecked() and check.isEnabled() and live.controls.options().keep_detail
    assert {"deformation", "occlusion_map"} <= live.controls.options().frame_extras(pasting=True)
    live.gallery.add(avatar_path)
    assert live.start()
    _next_frames(qtbot, live)
    check.click()
    assert not window.settings.keep_detail and not live.controls.options().keep_detail
    assert not live.controls.options().frame_extras(pasting=True)  # no overlay, no detail: nothing extra
    qtbot.waitUntil(lambda: not live.worker.pipeline.options.keep_detail, timeout=10000)
    live.controls.paste_back.click()  # detail is part of paste-back: greyed out without it
    assert not check.isEnabled()


def test_copy_diagnostics_puts_the_report_on_the_clipboard(
    qtbot, make_window, tiny_entry, avatar_path
) -> None:
    from PySide6.QtWidgets import QApplication

    _registry, entry = tiny_entry
    window = make_window()
    live = window.live
    live.diagnostics_button.click()  # before Start: says so
    text = QApplication.clipboard().text()
    assert "name: tiny test model" in text and "camera: no frame yet" in text and "device: auto" in text
    live.gallery.add(avatar_path)
    assert live.start()
    _next_frames(qtbot, live, 3)
    live.diagnostics_button.click()
    lines = QApplication.clipboard().text().splitlines()
    assert f"checkpoint: {entry.checkpoint_path}" in lines and f"config: {entry.config_path}" in lines
    assert "device: cpu" in lines and "backend: torch" in lines
    assert any(line.startswith("camera: synthetic face (synthetic), 256x256 at 30 fps") for line in lines)
    stages = next(line for line in lines if line.startswith("stages: "))
    assert "capture" in stages and "generator" in stages and "total" in stages
    for name in ("PySide6", "torch", "OpenCV", "OpenVINO", "Python", "OS"):
        assert any(line.startswith(f"{name}: ") for line in lines), name
    assert window.status_label.text() == "Diagnostics copied to the clipboard"

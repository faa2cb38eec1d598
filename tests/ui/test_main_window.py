"""The main window: live run end to end, shortcuts, missing weights, closing mid-stream, Animate tab."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from fomm_studio.api import AnimationCancelledError, ModelRegistry, Settings
from tests.conftest import tiny_live_builder
from tests.ui.conftest import save_artifact
from ui.threads import LIVE_THREADS

pytestmark = pytest.mark.timeout(90)


def test_live_tab_runs_and_closing_mid_stream_joins_the_thread(
    qtbot, make_window, tiny_entry, avatar_path
) -> None:
    window = make_window()
    _registry, entry = tiny_entry
    window.live.gallery.add(avatar_path)
    options = window.live.controls.options()
    assert window.live.start(tiny_live_builder(entry.load, avatar_path, options=options, display_size=128))
    with qtbot.waitSignal(window.live.frame_shown, timeout=20000):
        pass
    qtbot.keyClick(window, "K")  # keypoints overlay on, by shortcut
    assert window.live.controls.overlay_checks["keypoints"].isChecked()
    qtbot.waitUntil(lambda: window.live.worker.pipeline.options.overlays.keypoints, timeout=10000)
    with qtbot.waitSignal(window.live.frame_shown, timeout=20000):
        pass
    assert window.live.output_view.has_image() and window.live.start_button.text() == "Stop"
    save_artifact(window, "live-window.png")
    thread = window.live.controller.worker_thread
    window.close()  # mid-stream
    assert thread is not None and not thread.isRunning()
    assert not [t for t in list(LIVE_THREADS) if t.isRunning()]


def test_space_stops_and_restarts(qtbot, make_window, avatar_path) -> None:
    window = make_window()
    window.live.gallery.add(avatar_path)
    qtbot.keyClick(window, " ")
    with qtbot.waitSignal(window.live.frame_shown, timeout=30000):
        pass
    with qtbot.waitSignal(window.live.running_changed, timeout=20000) as blocker:
        qtbot.keyClick(window, " ")
    assert blocker.args == [False]
    assert window.live.start_button.text() == "Start"


def test_missing_default_weights_are_shown_clearly(qtbot, tmp_path, tiny_config_path) -> None:
    from ui.main_window import MainWindow

    registry = ModelRegistry(default_config=tiny_config_path, default_checkpoint=tmp_path / "absent.pth.tar")
    window = MainWindow(Settings(), registry, save_on_close=False)
    qtbot.addWidget(window)
    window.show()
    assert window.model_badge.text() == "weights missing"
    assert "weights missing" in window.model_combo.currentText()
    assert "absent.pth.tar" in window.live.output_view.message
    errors: list[str] = []
    window.live.error.connect(errors.append)
    assert window.live.start() is False
    assert errors and "weights missing" in errors[0]
    assert "weights missing" in window.status_label.text()
    save_artifact(window, "weights-missing.png")
    window.close()


def test_settings_are_remembered(qtbot, tiny_entry, tmp_path) -> None:
    from fomm_studio.api import load_settings
    from ui.main_window import MainWindow

    registry, entry = tiny_entry
    window = MainWindow(Settings(model_id=entry.model_id), registry, save_on_close=True)
    qtbot.addWidget(window)
    window.show()
    window.live.controls.overlay_checks["occlusion"].setChecked(True)
    window.live.controls.mirror.setChecked(False)
    window.close()
    saved = load_settings()
    assert saved.overlay_occlusion is True and saved.mirror is False
    assert saved.model_id == entry.model_id and saved.window_geometry


def test_animate_tab_job_progress_and_cancel(qtbot, make_window) -> None:
    window = make_window()
    panel = window.animate
    started = threading.Event()
    errors: list[str] = []
    panel.error.connect(errors.append)

    def job(progress, cancel):  # stands in for AnimationJob.run: raises when cancelled, as it does
        for i in range(100):
            progress(i + 1, 100)
            started.set()
            if cancel.wait(0.02):
                raise AnimationCancelledError("animation cancelled; no output was written")
        raise AssertionError("the job was never cancelled")

    worker = panel.start_task(job)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    with qtbot.waitSignal(worker.stopped, timeout=10000):
        panel.cancel_job()
    qtbot.waitUntil(panel.run_button.isEnabled, timeout=5000)
    assert not panel.cancel_button.isEnabled() and panel.progress.value() < 100
    assert window.status_label.text() == "Animation cancelled; no output was written"
    assert errors == []  # a cancel is not an error: no dialog
    assert not panel.preview_view.has_image()  # nothing was written, so nothing to play


def test_animate_tab_scrubber_inspects_frames(
    qtbot, make_window, avatar_path, driving_video, tiny_entry
) -> None:
    window = make_window()
    panel = window.animate
    panel.source_edit.setText(str(avatar_path))
    panel.driving_edit.setText(str(driving_video))
    panel.inspect.overlay_checks["occlusion"].setChecked(True)
    panel.inspect.start()
    worker = panel.inspect.worker
    with qtbot.waitSignal(worker.rendered, timeout=30000) as first:
        pass
    assert panel.inspect.scrubber.maximum() == 11
    with qtbot.waitSignal(worker.rendered, timeout=30000) as later:
        panel.inspect.scrubber.setValue(8)
    assert later.args[0] == 8
    a, b = first.args[1], later.args[1]
    assert a.driving.shape == b.driving.shape and not np.array_equal(a.driving, b.driving)
    window.tabs.setCurrentWidget(panel)
    qtbot.wait(50)
    save_artifact(window, "animate-inspect.png")


def test_animate_tab_runs_a_real_job(qtbot, make_window, avatar_path, driving_video, tmp_path) -> None:
    from fomm_studio.api import VideoReader

    panel = make_window().animate
    output = tmp_path / "result.mp4"
    panel.source_edit.setText(str(avatar_path))
    panel.driving_edit.setText(str(driving_video))
    panel.output_edit.setText(str(output))
    with qtbot.waitSignal(panel.job_finished, timeout=60000) as blocker:
        panel.start_job()
    assert blocker.args[0] == output and panel.progress.value() == panel.progress.maximum() == 12
    assert sum(1 for _ in VideoReader(output).frames()) == 12
    qtbot.waitUntil(lambda: panel.preview_view.has_image(), timeout=20000)


_KEEP_ALIVE: list[QMimeData] = []  # a Qt event does not own its mime data: Python must keep it


def drop_event(paths: list[Path], kind: str = "drop") -> QDropEvent:
    mime = QMimeData()
    _KEEP_ALIVE.append(mime)
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    if kind == "enter":  # QDragEnterEvent takes a QPoint: only 6.12 also converts a QPointF
        return QDragEnterEvent(QPoint(10, 10), *args)
    return QDropEvent(QPointF(10, 10), *args)


def test_dropping_files_on_the_live_tab(qtbot, make_window, avatar_path, driving_video, tmp_path) -> None:
    window = make_window()
    live = window.live
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    refused = drop_event([notes], "enter")
    live.dragEnterEvent(refused)
    assert not refused.isAccepted()
    accepted = drop_event([avatar_path], "enter")
    live.dragEnterEvent(accepted)
    assert accepted.isAccepted()

    live.dropEvent(drop_event([avatar_path, notes]))  # an image: a new avatar, selected and shown
    assert live.gallery.current_path() == avatar_path
    assert live.avatar_view.has_image() and window.settings.avatar == str(avatar_path)
    live.dropEvent(drop_event([driving_video]))  # a video: the driving source
    assert live.feed_spec == str(driving_video)


def test_single_keys_belong_to_their_tab_and_a_focused_input_keeps_its_keys(
    qtbot, make_window, avatar_path, driving_video
) -> None:
    window = make_window()
    live, animate = window.live, window.animate
    controls = live.controls
    live.gallery.add(avatar_path)
    animate.source_edit.setText(str(avatar_path))
    animate.driving_edit.setText(str(driving_video))
    window.tabs.setCurrentWidget(animate)
    with qtbot.waitSignal(animate.inspect.scrubber.rangeChanged, timeout=30000):
        animate.inspect.start()  # loads the driving video for the scrubber
    window.activateWindow()
    qtbot.waitActive(window)
    window.tabs.setFocus()

    for key in (" ", "K", "X", "+"):  # the Live tab's keys do nothing here
        qtbot.keyClick(window, key)
    assert not live.running and not controls.overlay_checks["keypoints"].isChecked()
    assert controls.mirror.isChecked() == window.settings.mirror and controls.zoom.value() == 100
    qtbot.keyClick(window, Qt.Key.Key_Right)  # steps the scrubber, does not move the live crop
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert animate.inspect.scrubber.value() == 1 and controls.offset == (0.0, 0.0)
    animate.inspect.scrubber.setFocus()  # a focused slider moves itself, once
    qtbot.keyClick(animate.inspect.scrubber, Qt.Key.Key_Right)
    assert animate.inspect.scrubber.value() == 2
    animate.output_edit.setFocus()
    qtbot.keyClicks(animate.output_edit, "k m")  # typed text stays text
    assert animate.output_edit.text() == "k m" and not live.running

    window.tabs.setCurrentWidget(live)
    window.tabs.setFocus()
    qtbot.keyClick(window, "K")
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # arrows pick avatars
    assert controls.overlay_checks["keypoints"].isChecked() and controls.offset[0] > 0
    offset = controls.offset
    controls.zoom.setFocus()  # the zoom slider keeps the arrow keys
    qtbot.keyClick(controls.zoom, Qt.Key.Key_Right)
    assert controls.zoom.value() > 100 and controls.offset == offset
    assert animate.inspect.scrubber.value() == 2


def test_side_columns_are_not_clipped_in_a_short_1024x700_window(qtbot, make_window) -> None:
    from PySide6.QtWidgets import QApplication, QScrollArea

    window = make_window()
    window.resize(1024, 700)
    (train_column,) = [c for c in window.train.findChildren(QScrollArea) if c.widget() is not None]
    for tab, column in ((window.live, window.live.controls), (window.train, train_column)):
        window.tabs.setCurrentWidget(tab)
        QApplication.processEvents()
        content = column.widget()
        assert column.verticalScrollBar().isVisible()  # short window: the scrollbar is there
        assert column.viewport().width() >= content.minimumSizeHint().width(), type(content).__name__


def test_a_long_error_fits_the_status_line_shortened_in_the_middle(qtbot, make_window) -> None:
    from PySide6.QtWidgets import QApplication

    window = make_window()
    window.resize(1024, 700)
    text = (
        "Model not added: /home/someone/a/long/path/to/a/folder/of/models/vox-adv-cpk.pth.tar: the "
        "checkpoint does not fit the config /home/someone/a/long/path/to/config.yaml (missing keys)"
    )
    window.show_error(text)
    QApplication.processEvents()
    label = window.status_label
    shown = label.displayed_text()
    assert label.text() == text and label.toolTip() == text
    assert "…" in shown and shown.startswith("Model not added") and shown.endswith("(missing keys)")
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert window.width() == 1024


def test_the_train_buttons_stay_in_view_in_a_short_window(qtbot, make_window) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    window = make_window()
    window.resize(1024, 700)
    window.tabs.setCurrentWidget(window.train)
    QApplication.processEvents()
    train = window.train
    for button in (train.controls.start_button, train.controls.resume_button, train.controls.stop_button):
        top_left = button.mapTo(train, QPoint(0, 0))
        assert button.isVisible() and top_left.y() >= 0 and top_left.y() + button.height() <= train.height()
    assert train.controls.state_label.isVisible()

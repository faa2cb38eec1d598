"""The Live tab as the user drives it: avatars, what stays on screen after Stop or a model switch,
overlays."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)


def test_a_file_that_is_no_image_is_refused_and_the_previous_avatar_kept(
    qtbot, make_window, avatar_path: Path, tmp_path: Path
) -> None:
    window = make_window()
    live = window.live
    live.gallery.add(avatar_path)
    notes = tmp_path / "notes.png"
    notes.write_text("not an image")
    errors: list[str] = []
    live.error.connect(errors.append)
    assert live.gallery.add(notes) is False
    assert live.gallery.list.count() == 1 and live.gallery.current_path() == avatar_path
    assert errors and "notes.png: not an image" in errors[-1] and "Still using avatar.png" in errors[-1]
    assert "notes.png: not an image" in window.status_label.text()
    assert live.start()  # the previous avatar animates
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        pass
    assert live.avatar_view.has_image() and len(errors) == 1


class NoCamera:
    """A source that never opens, like a camera index with no camera behind it."""

    name = "camera 9"
    fps = None

    def open(self) -> None:
        from fomm_studio.api import FeedError

        raise FeedError("camera 9 not found")

    def read(self):
        raise AssertionError("never opened")

    def close(self) -> None:
        pass


def test_stop_clears_the_retry_and_loading_banners(qtbot, make_window, tiny_entry, avatar_path) -> None:
    from tests.conftest import tiny_live_builder

    window = make_window()
    live, (_registry, entry) = window.live, tiny_entry
    live.gallery.add(avatar_path)
    assert live.start(tiny_live_builder(entry.load, avatar_path, feed=lambda _spec: NoCamera()))
    qtbot.waitUntil(lambda: "Retrying every 2 s" in live.driving_view.message, timeout=30000)
    assert live.output_view.message == ""  # the model loaded; the driving pane says what is wrong
    with qtbot.waitSignal(live.running_changed, timeout=20000):
        live.stop()
    assert live.driving_view.message == "" and live.output_view.message == ""
    assert window.status_label.text() == "Live view stopped"


def test_stop_while_the_model_loads_clears_loading_model(qtbot, make_window, tiny_entry, avatar_path) -> None:
    import threading

    from tests.conftest import tiny_live_builder

    window = make_window()
    live, (_registry, entry) = window.live, tiny_entry
    gate = threading.Event()

    def slow_load():
        gate.wait(20)
        return entry.load()

    assert live.start(tiny_live_builder(slow_load, avatar_path))
    qtbot.waitUntil(lambda: live.output_view.message == "Loading model…", timeout=10000)
    with qtbot.waitSignal(live.running_changed, timeout=30000):
        live.stop()
        gate.set()
    assert live.output_view.message == "" and not live.output_view.has_image()


def test_switching_models_clears_the_last_frame_and_the_old_error(
    qtbot, make_window, tiny_entry, tiny_config_path, tiny_checkpoint, avatar_path, tmp_path
) -> None:
    from fomm_studio.api import Settings

    registry, entry = tiny_entry
    other = tmp_path / "other.pth.tar"
    other.write_bytes(tiny_checkpoint.read_bytes())
    registry.restore([{"config": str(tiny_config_path), "checkpoint": str(other), "name": "other"}])
    other_id = registry.entries()[-1].model_id
    window = make_window(Settings(model_id=entry.model_id, camera="synthetic"))
    live = window.live
    live.gallery.add(avatar_path)
    qtbot.waitUntil(lambda: window.model_badge.text() == "ready", timeout=30000)
    assert live.start()
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        pass
    window.show_error("an error about the first model")
    live.output_view.set_message("Stopped: an error about the first model", "error")
    painted: list[object] = []
    live.frame_shown.connect(lambda _f: painted.append(live.worker))
    old_worker = live.worker
    window.select_model(other_id)
    assert not live.output_view.has_image()  # not the previous model's frame under the new name
    assert "first model" not in live.output_view.message
    assert window.status_label.text() == "Model: other" and "e5484d" not in window.status_label.styleSheet()
    qtbot.waitUntil(lambda: live.output_view.has_image(), timeout=30000)
    assert painted and old_worker not in painted  # only the new model's frames were painted


def test_the_flow_overlay_is_a_checkbox_with_its_legend_and_reaches_the_worker(
    qtbot, make_window, avatar_path
) -> None:
    window = make_window()
    live = window.live
    controls = live.controls
    flow = controls.overlay_checks["flow"]
    assert flow.text() == "Motion flow (L)" and "direction" in flow.toolTip()
    assert not controls.overlay_legend.isVisibleTo(controls)
    live.gallery.add(avatar_path)
    assert live.start()
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        pass
    window.activateWindow()
    qtbot.keyClick(window, "L")
    assert flow.isChecked() and controls.options().overlays.flow and window.settings.overlay_flow
    assert controls.overlay_legend.shown() == ["flow"]
    qtbot.waitUntil(lambda: live.worker.pipeline.options.overlays.flow, timeout=10000)
    controls.overlay_checks["occlusion"].setChecked(True)
    assert controls.overlay_legend.shown() == ["flow", "occlusion"]
    flow.setChecked(False)
    controls.overlay_checks["occlusion"].setChecked(False)
    assert not controls.overlay_legend.isVisibleTo(controls)


def test_recording_shows_rec_with_elapsed_time_and_the_file_at_once(
    qtbot, make_window, avatar_path, tmp_path
) -> None:
    window = make_window()
    window.settings.output_dir = str(tmp_path / "out")
    live = window.live
    live.gallery.add(avatar_path)
    assert live.start()
    with qtbot.waitSignal(live.frame_shown, timeout=30000):
        pass
    live.record_button.click()
    assert live.rec_label.isVisible() and live.rec_label.text() == "● REC 0:00"
    assert "fomm-live-" in live.rec_label.toolTip()
    path = Path(live.rec_label.toolTip().removeprefix("Recording to "))
    assert path.parent == tmp_path / "out" and str(path) in window.status_label.text()
    live.transport._recording = (path, live.transport._recording[1] - 65)  # as if a minute had passed
    live._on_fps_timer()
    assert "REC 1:05" in live.rec_label.text()
    for _ in range(2):  # frames into the file
        with qtbot.waitSignal(live.frame_shown, timeout=30000):
            pass
    live.record_button.click()
    assert not live.rec_label.isVisible()
    qtbot.waitUntil(lambda: f"Recording saved: {path}" in window.status_label.text(), timeout=20000)
    assert path.is_file()

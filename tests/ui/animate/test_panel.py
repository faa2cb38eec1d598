"""The Animate tab: where an animation is written, and what the tab shows after a job."""

from __future__ import annotations

from pathlib import Path

import pytest

from fomm_studio.api import VideoReader

pytestmark = pytest.mark.timeout(120)


def test_empty_output_writes_into_the_output_folder_not_next_to_the_driving_video(
    qtbot, make_window, avatar_path: Path, driving_video: Path, tmp_path: Path
) -> None:
    window = make_window()
    window.settings.output_dir = str(tmp_path / "out")
    panel = window.animate
    panel.source_edit.setText(str(avatar_path))
    panel.driving_edit.setText(str(driving_video))
    panel.output_edit.setText("")
    expected = tmp_path / "out" / "avatar-driving.mp4"
    assert panel.output_edit.placeholderText() == f"default: {expected}"
    with qtbot.waitSignal(panel.job_finished, timeout=60000) as finished:
        panel.start_job()
    assert finished.args[0] == expected
    assert sum(1 for _ in VideoReader(expected).frames()) == 12
    assert sorted(p.name for p in driving_video.parent.glob("*.mp4")) == ["driving.mp4"]
    qtbot.waitUntil(panel.run_button.isEnabled, timeout=10000)
    assert window.settings.animate_output == ""  # the field stays empty: the next job gets a fresh name
    assert panel.output_edit.placeholderText() == f"default: {tmp_path / 'out' / 'avatar-driving-2.mp4'}"


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
def test_a_job_that_did_not_finish_leaves_no_frame_count_behind(qtbot, make_window, outcome: str) -> None:
    from fomm_studio.api import AnimationCancelledError, FommError

    panel = make_window().animate

    def job(progress, cancel):
        progress(0, 175)
        progress(5, 175)
        if outcome == "cancelled":
            cancel.set()
            raise AnimationCancelledError("animation cancelled; no output was written")
        raise FommError("driving.mp4: not a video file")

    panel.start_task(job)
    qtbot.waitUntil(panel.run_button.isEnabled, timeout=10000)
    assert panel.progress.value() == 0 and "175" not in panel.progress.text()
    assert panel.progress.text().startswith(outcome)


def test_progress_shows_elapsed_time_and_what_is_left(make_window) -> None:
    import time

    panel = make_window().animate
    panel._job_started = time.monotonic() - 30  # a job that has run for 30 s
    panel._on_progress(10, 40)
    assert panel.progress.text() == "10 / 40 frames · 0:30 · about 1:30 left"


def test_the_inspector_draws_the_flow_and_shows_its_legend(
    qtbot, make_window, avatar_path: Path, driving_video: Path
) -> None:
    import numpy as np

    panel = make_window().animate
    panel.source_edit.setText(str(avatar_path))
    panel.driving_edit.setText(str(driving_video))
    inspect = panel.inspect
    inspect.overlay_checks["keypoints"].setChecked(False)
    inspect.start()
    with qtbot.waitSignal(inspect.worker.rendered, timeout=30000) as plain:
        pass
    flow = inspect.overlay_checks["flow"]
    assert flow.text() == "Flow" and "direction" in flow.toolTip()
    with qtbot.waitSignal(inspect.worker.rendered, timeout=30000) as drawn:
        flow.setChecked(True)
    assert inspect.overlay_legend.shown() == ["flow"]
    assert drawn.args[0] == plain.args[0]  # the same frame, with the motion field over the output
    assert not np.array_equal(drawn.args[1].output, plain.args[1].output)
    assert np.array_equal(drawn.args[1].driving, plain.args[1].driving)


def test_the_scrubber_renders_the_newest_frame_while_dragging_and_steps_with_buttons(
    qtbot, make_window, avatar_path: Path, driving_video: Path
) -> None:
    panel = make_window().animate
    panel.source_edit.setText(str(avatar_path))
    panel.driving_edit.setText(str(driving_video))
    inspect = panel.inspect
    assert not inspect.next_button.isEnabled()
    inspect.start()
    with qtbot.waitSignal(inspect.worker.rendered, timeout=30000):
        pass
    rendered: list[int] = []
    inspect.worker.rendered.connect(lambda index, _panes: rendered.append(index))
    for value in range(1, 9):  # a drag: eight moves while the first render is under way
        inspect.scrubber.setValue(value)
    assert inspect.frame_label.text() == "frame 9 / 12"  # the number follows the handle at once
    qtbot.waitUntil(lambda: rendered[-1:] == [8], timeout=30000)
    qtbot.wait(200)
    # where the handle landed, after at most the first move (if the worker took it before the rest
    # came); nothing in between
    assert rendered in ([1, 8], [8])
    inspect.next_button.click()
    inspect.next_button.click()
    inspect.previous_button.click()
    assert inspect.scrubber.value() == 9
    qtbot.waitUntil(lambda: rendered[-1:] == [9], timeout=30000)


def test_find_best_frame_is_off_with_the_reason_when_the_landmark_weights_are_missing(
    make_window, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty torch hub: no weights
    panel = make_window().animate
    check = panel.find_best_frame
    assert not check.isEnabled() and not check.isChecked()
    assert "face landmark weights missing" in check.toolTip() and "s3fd" in check.toolTip()
    weights = tmp_path / "torch" / "hub" / "checkpoints"
    weights.mkdir(parents=True)
    for name in ("s3fd-619a316812.pth", "2DFAN4-11f355bf06.pth.tar"):
        (weights / name).write_bytes(b"weights")
    panel.hide()
    panel.show()  # back on the tab: looked for again
    assert check.isEnabled() and "closest" in check.toolTip()

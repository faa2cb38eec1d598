"""Bad-input matrix of the GUI paths that read files: one test per row.

Live tab (avatar opened into the gallery while the live view runs), Animate tab (its three path
fields, then Animate) and the model picker (open config + checkpoint, checked before it is listed). A bad file must
show an error naming the file in the status line and the error dialog, and the window must stay
usable; awkward but valid images must animate.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from fomm_studio.api import VideoReader
from tests.conftest import tiny_live_builder
from tests.reliability import bad_files

pytestmark = pytest.mark.timeout(120)

IMAGE_ROWS: dict[str, tuple[Callable[[Path], Path], str | None]] = {
    "empty-file": (bad_files.empty, "image file is empty"),
    "text-named-png": (bad_files.text, "not an image"),
    "grayscale-works": (bad_files.grayscale_png, None),
    "rgba-works": (bad_files.rgba_png, None),
    "8x8-works": (bad_files.tiny_png, None),
    "2000x100-works": (bad_files.wide_png, None),
}


def assert_error_shown(window, *parts: str) -> None:
    """The status line and a visible error dialog carry the message; the window is still there."""
    text = window.status_label.text()
    for part in parts:
        assert part in text, f"{part!r} not in the status line {text!r}"
    boxes = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert boxes and all(part in boxes[0].text() for part in parts), [b.text() for b in boxes]
    assert window.isVisible()


def error_in_status(window, part: str) -> Callable[[], bool]:
    return lambda: part in window.status_label.text() and window.status_label.styleSheet() != ""


# -- Live tab: an avatar opened while the live view runs ---------------------------------------------
@pytest.mark.parametrize("row", list(IMAGE_ROWS))
def test_live_avatar_row(row: str, qtbot, make_window, tiny_entry, avatar_path: Path, tmp_path: Path) -> None:
    maker, problem = IMAGE_ROWS[row]
    window = make_window()
    live = window.live
    _registry, entry = tiny_entry
    live.gallery.add(avatar_path)
    assert live.start(tiny_live_builder(entry.load, avatar_path))
    with qtbot.waitSignal(live.frame_shown, timeout=30000) as first:
        pass
    before = first.args[0].panes.avatar
    path = maker(tmp_path / f"opened-{row}.png")
    live.gallery.add(path)
    if problem is not None:
        qtbot.waitUntil(error_in_status(window, problem), timeout=20000)
        assert_error_shown(window, path.name, problem)
        with qtbot.waitSignal(live.frame_shown, timeout=20000) as later:  # still animating the old avatar
            pass
        assert np.array_equal(later.args[0].panes.avatar, before)
    else:
        qtbot.waitUntil(lambda: f"Avatar: {path.name}" in window.status_label.text(), timeout=20000)
        with qtbot.waitSignal(live.frame_shown, timeout=20000) as later:  # animating the new avatar
            pass
        avatar, output = later.args[0].panes.avatar, later.args[0].panes.output
        assert avatar.shape == before.shape and not np.array_equal(avatar, before)
        assert output.shape == (96, 96, 3) and output.std() > 1
    assert live.running and window.isVisible()


@pytest.mark.parametrize("row", list(IMAGE_ROWS))
def test_live_avatar_row_while_stopped(row: str, qtbot, make_window, tmp_path: Path) -> None:
    """Opened before Start: a bad file is reported at once, a good one shows in the Avatar pane."""
    maker, problem = IMAGE_ROWS[row]
    window = make_window()
    path = maker(tmp_path / f"opened-{row}.png")
    window.live.gallery.add(path)
    if problem is not None:
        qtbot.waitUntil(error_in_status(window, problem), timeout=10000)
        assert_error_shown(window, path.name, problem)
        assert not window.live.avatar_view.has_image()
    else:
        assert window.live.avatar_view.has_image()
        assert not [box for box in window.findChildren(QMessageBox) if box.isVisible()]


# -- Animate tab: source image and driving video fields ------------------------------------------
ANIMATE_ROWS: dict[str, tuple[str, Callable[[Path], Path], str | None]] = {
    **{f"source-{k}": ("source", maker, problem) for k, (maker, problem) in IMAGE_ROWS.items()},
    "driving-empty-file": ("driving", bad_files.empty, "video file is empty"),
    "driving-random-bytes": ("driving", bad_files.random_bytes, "not a video file"),
    "driving-truncated": ("driving", bad_files.truncated_video, "not a video file"),
}


@pytest.mark.parametrize("row", list(ANIMATE_ROWS))
def test_animate_tab_row(
    row: str, qtbot, make_window, avatar_path: Path, driving_video: Path, tmp_path: Path
) -> None:
    field, maker, problem = ANIMATE_ROWS[row]
    window = make_window()
    panel = window.animate
    output = tmp_path / "result.mp4"
    bad = maker(tmp_path / ("bad.png" if field == "source" else "bad.mp4"))
    panel.source_edit.setText(str(bad if field == "source" else avatar_path))
    panel.driving_edit.setText(str(bad if field == "driving" else driving_video))
    panel.output_edit.setText(str(output))
    if problem is not None:
        panel.start_job()
        qtbot.waitUntil(error_in_status(window, problem), timeout=30000)
        assert_error_shown(window, bad.name, problem)
        qtbot.waitUntil(panel.run_button.isEnabled, timeout=10000)  # ready for the next try
        assert not output.exists()
    else:
        with qtbot.waitSignal(panel.job_finished, timeout=60000):
            panel.start_job()
        frames = list(VideoReader(output))
        assert len(frames) == 12 and frames[0].shape == (64, 64, 3)
        assert all(f.std() > 1 for f in frames)  # real pictures (the tiny test model has random weights)


# -- Model picker: open config + checkpoint (refused before it is listed) ------------------------------------------
def _unknown_key(config: Path) -> None:
    bad_files.config_variant(config, config, {"model_params.common_params.num_keypoints": 5})


def _wrong_type(config: Path) -> None:
    bad_files.config_variant(config, config, {"model_params.common_params.num_kp": "five"})


MODEL_ROWS: dict[str, tuple[str, Callable[[Path, Path, Path], object], str]] = {
    "checkpoint-empty-file": (
        "model.pth.tar",
        lambda c, k, m: bad_files.empty(k),
        "checkpoint file is empty",
    ),
    "checkpoint-random-bytes": (
        "model.pth.tar",
        lambda c, k, m: bad_files.random_bytes(k),
        "not a readable checkpoint",
    ),
    "checkpoint-runs-code": (
        "model.pth.tar",
        lambda c, k, m: bad_files.code_checkpoint(k, m),
        "not a safe checkpoint",
    ),
    "checkpoint-other-config": (
        "model.pth.tar",
        lambda c, k, m: bad_files.checkpoint_for_other_config(c, k),
        "does not fit the config",
    ),
    "config-unknown-key": ("model.yaml", lambda c, k, m: _unknown_key(c), "unknown key"),
    "config-wrong-type": ("model.yaml", lambda c, k, m: _wrong_type(c), "must be an integer"),
}


def test_model_refusal_shows_when_the_check_ends_before_start_returns(
    qtbot, make_window, tiny_checkpoint: Path, tiny_config_path: Path, tmp_path: Path, monkeypatch
) -> None:
    """A config with a wrong type fails its check in microseconds: on a busy machine the check's thread
    can end before the GUI thread returns from starting it. Forced here (start waits for the thread),
    the refusal must still reach the status line and the dialog (it once waited for ever)."""
    from ui.threads import WorkerThreads

    config, checkpoint = tmp_path / "model.yaml", tmp_path / "model.pth.tar"
    config.write_bytes(tiny_config_path.read_bytes())
    checkpoint.write_bytes(tiny_checkpoint.read_bytes())
    _wrong_type(config)
    window = make_window()
    start = WorkerThreads.start

    def start_and_finish(self: WorkerThreads, worker):
        thread = start(self, worker)
        assert thread.wait(30000)
        return thread

    monkeypatch.setattr(WorkerThreads, "start", start_and_finish)
    window.add_model_files(config, checkpoint)
    qtbot.waitUntil(lambda: "must be an integer" in window.status_label.text(), timeout=10000)
    assert_error_shown(window, "model.yaml", "must be an integer")


@pytest.mark.parametrize("row", list(MODEL_ROWS))
def test_model_picker_row(
    row: str,
    qtbot,
    make_window,
    tiny_checkpoint: Path,
    tiny_config_path: Path,
    avatar_path: Path,
    tmp_path: Path,
) -> None:
    name, spoil, problem = MODEL_ROWS[row]
    config, checkpoint, marker = tmp_path / "model.yaml", tmp_path / "model.pth.tar", tmp_path / "PAYLOAD-RAN"
    config.write_bytes(tiny_config_path.read_bytes())
    checkpoint.write_bytes(tiny_checkpoint.read_bytes())
    spoil(config, checkpoint, marker)
    window = make_window()
    before = window.current_model().model_id
    window.settings.camera = "synthetic"
    window.live.feed_spec = "synthetic"
    window.live.gallery.add(avatar_path)
    window.add_model_files(config, checkpoint)  # checked in a worker before it is listed
    qtbot.waitUntil(lambda: problem in window.status_label.text(), timeout=30000)
    assert_error_shown(window, name, problem)
    assert window.status_label.text().startswith("Model not added: ")
    listed = [window.model_combo.itemData(i) for i in range(window.model_combo.count())]
    assert len(listed) == 2 and window.current_model().model_id == before  # refused, the old pick kept
    assert not marker.exists(), "a checkpoint's pickled code was executed"
    assert window.live.start()  # the window is still usable with the model it had
    with qtbot.waitSignal(window.live.frame_shown, timeout=30000):
        pass

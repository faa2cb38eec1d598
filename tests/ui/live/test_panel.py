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

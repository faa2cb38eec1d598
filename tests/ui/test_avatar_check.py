"""The avatar preflight in the GUI: choosing an avatar (Live gallery, Animate source) shows its verdict,
scored off the GUI thread; "Use suggested crop" adds the cropped copy as the avatar."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from fomm_studio.api import output_dir, read_image, save_png
from fomm_studio.live.avatar_preflight import score_avatar
from fomm_studio.paths import ASSETS_DIR
from ui.widgets import avatar_check

pytestmark = pytest.mark.timeout(120)
ASTRONAUT = ASSETS_DIR / "avatars" / "astronaut.png"


def small_face_avatar(tmp_path: Path) -> Path:
    """The astronaut shrunk to 120 px in the corner of a plain 256 x 256 picture: the face ~19%."""
    canvas = np.full((256, 256, 3), 200, np.uint8)
    canvas[20:140, 20:140] = cv2.resize(read_image(ASTRONAUT), (120, 120), interpolation=cv2.INTER_AREA)
    return save_png(tmp_path / "far-away.png", canvas)


def test_choosing_an_avatar_shows_its_verdict_scored_off_the_gui_thread(
    qtbot, make_window, tmp_path, monkeypatch
) -> None:
    scored_in: list[threading.Thread] = []
    real = avatar_check.check_avatar_file

    def spy(*args, **kwargs):
        scored_in.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(avatar_check, "check_avatar_file", spy)
    window = make_window()
    window.live.gallery.add(ASTRONAUT)
    check = window.live.gallery.check
    expected = score_avatar(read_image(ASTRONAUT)).verdict
    assert expected.startswith("Good: face 3")
    qtbot.waitUntil(lambda: check.verdict.text() == expected, timeout=30000)
    assert check.thumbnail.isVisible() and not check.use_crop_button.isVisible()
    assert scored_in and threading.main_thread() not in scored_in

    far = small_face_avatar(tmp_path)
    window.live.gallery.add(far)
    qtbot.waitUntil(lambda: check.verdict.text().startswith("Face small (19% of the crop)"), timeout=30000)
    assert check.use_crop_button.isVisible()
    thumbnail = check.thumbnail.pixmap().toImage()
    region = check.result.score.suggested_crop
    x = round((region.left + region.side / 2) * check.result.scale)  # the dashed outline's top edge
    y = round(region.top * check.result.scale)
    assert thumbnail.pixelColor(x, y).blue() > 200 and thumbnail.pixelColor(x, y).red() < 120

    with qtbot.waitSignal(check.crop_saved, timeout=30000) as saved:
        check.use_crop_button.click()
    crop = saved.args[0]
    assert crop.parent == output_dir(window.live.settings) / "avatars" and far.is_file()  # the original stays
    assert read_image(crop).shape[:2] == (region.side, region.side)
    assert window.live.gallery.current_path() == crop.resolve()
    qtbot.waitUntil(lambda: check.result is not None and check.result.path == crop.resolve(), timeout=30000)
    assert "Face small" not in check.verdict.text()


def test_the_animate_source_gets_a_verdict_too(qtbot, make_window, tmp_path) -> None:
    window = make_window()
    blurred = save_png(tmp_path / "soft.png", cv2.GaussianBlur(read_image(ASTRONAUT), (0, 0), 3))
    window.animate.source_edit.setText(str(blurred))
    check = window.animate.source_check
    qtbot.waitUntil(lambda: check.verdict.text().startswith("Blurry (sharpness"), timeout=30000)
    window.animate.source_edit.setText(str(tmp_path / "nothing-here.png"))
    qtbot.waitUntil(lambda: check.verdict.text().startswith("Not checked:"), timeout=30000)
    assert "nothing-here.png" in check.verdict.text() and not check.thumbnail.isVisible()

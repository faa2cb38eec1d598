"""Avatar preflight: face found, face size in the crop the model sees, blur, tilt, and a suggested
crop, scored on the bundled drawn avatars and synthetic copies of them (blurred, rotated, small)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fomm_studio.live import face_tracking
from fomm_studio.live.avatar_preflight import (
    PreflightTools,
    cropped,
    default_tools,
    score_avatar,
    score_avatar_file,
)
from fomm_studio.media import MediaError, read_image
from fomm_studio.paths import ASSETS_DIR

AVATARS = ASSETS_DIR / "avatars"


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return read_image(AVATARS / "astronaut.png")  # 256 x 256, the face about 96 px


@pytest.fixture(scope="module")
def cartoon() -> np.ndarray:
    return read_image(AVATARS / "cartoon-2.png")  # 512 x 512, a drawn face the cascade finds


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def small_face_canvas(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut pasted into a corner of a plain 1024 x 1024 canvas: the face ~10% of the picture."""
    canvas = np.full((1024, 1024, 3), 200, np.uint8)
    canvas[600:856, 100:356] = astronaut
    return canvas


def test_a_good_portrait_is_good_with_its_face_share_of_the_crop(astronaut, cartoon) -> None:
    score = score_avatar(astronaut, 256)
    assert score.good and score.face is not None
    assert score.verdict == f"Good: face {round(100 * score.face_fraction)}% of the crop"
    assert 0.3 < score.face_fraction < 0.45  # 96 px of the 256 px picture the model sees whole
    assert score.crop.side == 256 and score.tilt is not None and abs(score.tilt) < 6
    assert score_avatar(cartoon, 256).good


def test_a_blurred_copy_is_called_blurry(astronaut) -> None:
    sharp = score_avatar(astronaut, 256)
    blurred = score_avatar(cv2.GaussianBlur(astronaut, (0, 0), 3), 256)
    assert blurred.face is not None and blurred.sharpness < 15 < sharp.sharpness
    assert blurred.verdict.startswith("Blurry (sharpness") and not blurred.crop_suggested


def test_a_rotated_copy_reports_its_tilt(cartoon) -> None:
    score = score_avatar(rotated(cartoon, 20), 256)  # counter-clockwise: the right eye rises
    assert score.tilt is not None and score.tilt == pytest.approx(-20, abs=4)
    assert "Tilted 2" in score.verdict and score.tilt_method in ("eyes", "landmarks")


def test_a_small_face_in_a_big_canvas_gets_a_suggested_crop_that_fixes_it(astronaut) -> None:
    canvas = small_face_canvas(astronaut)
    whole = score_avatar(canvas, 256, paste_back=False)  # the model sees the whole canvas
    assert whole.face_fraction is not None and whole.face_fraction < 0.15
    assert whole.verdict.startswith(f"Face small ({round(100 * whole.face_fraction)}% of the crop)")
    crop = whole.suggested_crop
    assert whole.crop_suggested and crop is not None
    x, y, w, h = whole.face
    assert (
        crop.left <= x and crop.top <= y and x + w <= crop.left + crop.side and y + h <= crop.top + crop.side
    )
    assert crop.top >= 600 and crop.left + crop.side <= 400  # around the astronaut, not the canvas
    again = score_avatar(cropped(canvas, crop), 256, paste_back=False)
    assert again.good and 0.4 < again.face_fraction < 0.6
    pasted = score_avatar(canvas, 256, paste_back=True)  # paste-back animates the head square already
    assert pasted.good and pasted.crop == crop


def test_no_face_and_no_detector_are_said_not_hidden(astronaut, monkeypatch) -> None:
    plain = np.full((300, 300, 3), 90, np.uint8)
    none = score_avatar(plain, 256)
    assert none.face is None and none.verdict.startswith("No face found") and none.suggested_crop is None
    monkeypatch.setattr(face_tracking, "cascade_path", lambda: ASSETS_DIR / "no-such-cascade.xml")
    tools = default_tools()
    assert tools.face is None and "no-such-cascade.xml" in (tools.face_problem or "")
    blind = score_avatar(astronaut, 256, tools=tools)
    assert blind.verdict.startswith("Face not checked:") and blind.face is None
    assert blind.sharpness > 15  # blur is still measured, on the whole picture


def test_tilt_without_landmarks_or_eyes_is_not_invented(astronaut) -> None:
    from fomm_studio.live.face_tracking import HaarFaceDetector

    tools = PreflightTools(HaarFaceDetector(), None, "tilt not measured: no landmark weights")
    score = score_avatar(rotated(astronaut, 15), 256, tools=tools)
    assert score.tilt is None and "Tilted" not in score.verdict


def test_a_file_is_scored_and_a_non_image_names_itself(tmp_path) -> None:
    assert score_avatar_file(AVATARS / "astronaut.png").good
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    with pytest.raises(MediaError, match="notes.png"):
        score_avatar_file(bad)

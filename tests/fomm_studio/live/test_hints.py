"""When the built-in model meets a real camera, the Live tab says so: the decision and what the
pipeline reports about its source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fomm_studio.api import SAMPLE_DRIVING
from fomm_studio.live.feeds import CameraFeed, SyntheticFeed, VideoFileFeed
from fomm_studio.live.hints import DEFAULT_MODEL_HINT, shows_default_model_hint
from fomm_studio.live.launch import AutoFeed
from fomm_studio.live.source_info import SourceInfo, feed_kind
from fomm_studio.media import save_png
from tests.conftest import tiny_live_pipeline
from tests.doubles import FlakyFeed, WebcamStandIn


@pytest.mark.parametrize(
    ("source", "model", "dismissed", "shown"),
    [
        ("camera", "default", False, True),
        ("camera", "default", True, False),  # dismissed: remembered, never again
        ("camera", "custom", False, False),  # the user loaded a model of their own
        ("camera", "run", False, False),
        ("video", "default", False, False),  # the sample clip or a file: drawn or any face, no hint
        ("synthetic", "default", False, False),
        ("other", "default", False, False),
    ],
)
def test_the_hint_shows_only_for_a_real_camera_on_the_default_model(
    source: str, model: str, dismissed: bool, shown: bool
) -> None:
    assert shows_default_model_hint(source, model, dismissed) is shown


def test_the_hint_names_the_three_ways_out() -> None:
    assert DEFAULT_MODEL_HINT.startswith("The built-in model was trained on drawn faces.")
    for way in (
        "load vox-cpk.pth.tar (GPU)",
        "distil it for this CPU",
        "fine-tune on a minute of your own video",
    ):
        assert way in DEFAULT_MODEL_HINT


def test_feeds_say_what_they_are() -> None:
    driving_clip = SAMPLE_DRIVING
    assert feed_kind(CameraFeed(0)) == "camera"  # not opened: no webcam needed to know its kind
    assert feed_kind(VideoFileFeed(driving_clip)) == "video"
    assert feed_kind(SyntheticFeed()) == "synthetic"
    assert feed_kind(object()) == "other"
    assert feed_kind(FlakyFeed(WebcamStandIn(), fail_after=5)) == "camera"  # wrappers pass it on
    auto = AutoFeed(driving_clip, camera_index=97)  # no camera 97: the clip plays
    assert feed_kind(auto) == "other"
    auto.open()
    try:
        assert feed_kind(auto) == "video"
    finally:
        auto.close()


def test_the_pipeline_reports_a_camera_with_its_mode(tiny_models, tmp_path: Path) -> None:
    avatar = save_png(tmp_path / "a.png", np.full((64, 64, 3), 90, np.uint8))
    pipeline = tiny_live_pipeline(tiny_models, avatar, feed=lambda _spec: WebcamStandIn(size=120))
    try:
        frame = pipeline.step()
    finally:
        pipeline.close()
    assert frame.source == SourceInfo("camera", "camera 0", 120, 120, 30.0)
    assert frame.source.describe() == "camera 0 (camera), 120x120 at 30 fps"


def test_the_pipeline_reports_the_synthetic_face_as_no_camera(tiny_pipeline) -> None:
    frame = tiny_pipeline.step()
    assert frame.source is not None and frame.source.kind == "synthetic"
    assert not shows_default_model_hint(frame.source.kind, "default", dismissed=False)

"""Fixtures shared by the fomm_studio tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fomm_studio.live.feeds import SyntheticFeed
from fomm_studio.live.pipeline import LiveOptions, LivePipeline, SetAvatar, plain_cropper
from fomm_studio.media import save_png


@pytest.fixture()
def pipeline(tiny_models, tmp_path: Path) -> LivePipeline:
    """A live pipeline on the tiny model, a synthetic source, no face crop, 64-pixel panes, an avatar set."""
    opener = lambda _spec: SyntheticFeed(size=96, realtime=False)  # noqa: E731
    p = LivePipeline(
        tiny_models, opener, "synthetic", LiveOptions(face_crop=False), cropper=plain_cropper, display_size=64
    )
    avatar = save_png(
        tmp_path / "a.png", np.random.default_rng(0).integers(0, 255, (80, 60, 3), dtype=np.uint8)
    )
    p.apply(SetAvatar(avatar))
    return p

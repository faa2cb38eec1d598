"""Shared set-up of the live benchmarks: models, avatar, a live worker whose frames the GUI thread
paints into an `ImageView`, and RSS. Run the benchmarks, not this file."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QObject, Slot  # noqa: E402

from fomm_studio.api import (  # noqa: E402
    ASSETS_DIR,
    FeedSetup,
    FommModels,
    LiveFrame,
    LiveOptions,
    LivePipeline,
    SyntheticFeed,
    load_models,
    plain_cropper,
    read_image,
)
from ui.live.worker import LiveController, LiveWorker  # noqa: E402
from ui.widgets.image_view import ImageView  # noqa: E402

TINY_CONFIG = REPO / "tests" / "data" / "tiny-64.yaml"
DEFAULT_CONFIG = REPO / "fomm_studio" / "configs" / "lite-256.yaml"
DEFAULT_WEIGHTS = ASSETS_DIR / "models" / "default-lite-256.pth.tar"


def tiny_models() -> FommModels:
    """The 64 px test config with seeded random weights (speed and memory only, not looks)."""
    from engine import build_models, load_config

    torch.manual_seed(0)
    return build_models(load_config(TINY_CONFIG)).eval()


def default_models(weights: Path = DEFAULT_WEIGHTS) -> FommModels | None:
    """The default lite-256 model, when its weights (or a checkpoint of its training run) exist."""
    return load_models(DEFAULT_CONFIG, weights) if weights.is_file() else None


def avatar() -> np.ndarray:
    path = ASSETS_DIR / "avatars" / "astronaut.png"
    return read_image(path) if path.is_file() else SyntheticFeed(size=256, seed=5).frame_at(0)


def rss_mb() -> float:
    """Resident set size of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def pipeline_builder(
    models: FommModels, display_size: int, realtime: bool, pipelined: bool = False
) -> Callable[[], LivePipeline]:
    """The app's live loop minus camera and face tracker, at the sizes the app runs: 256-pixel frames,
    the given display size, a real avatar, optionally paced in real time.

    Deliberately not the tests' `tiny_live_pipeline` (tests/conftest.py): that one is sized for fast
    tests (96-pixel frames, never paced), and a benchmark must not change when a test fixture does nor
    need the test package to run.
    """

    def build() -> LivePipeline:
        feeds = FeedSetup(
            lambda _spec: SyntheticFeed(size=256, realtime=realtime),
            "synthetic",
            plain_cropper,
            display_size,
            pipelined,
        )
        pipeline = LivePipeline(models, feeds, LiveOptions(face_crop=False))
        pipeline.set_avatar(avatar(), "avatar")
        return pipeline

    return build


class Painter(QObject):
    """The GUI side: takes the newest frame from the worker and paints its output pane."""

    def __init__(self, worker: LiveWorker, on_frame: Callable[[LiveFrame], None] | None = None):
        super().__init__()
        self.worker = worker
        self.view = ImageView("Output")
        self.view.resize(400, 400)
        self.view.show()
        self.painted = 0
        self.on_frame = on_frame
        worker.frame_ready.connect(self.take)

    @Slot(object)
    def take(self, _frame: object) -> None:
        frame = self.worker.take_latest()
        if frame is None:
            return
        self.view.set_image(frame.panes.output)
        self.view.repaint()
        self.painted += 1
        if self.on_frame is not None:
            self.on_frame(frame)


def start(models: FommModels, display_size: int, realtime: bool) -> tuple[LiveController, Painter]:
    controller = LiveController()
    worker = controller.start(pipeline_builder(models, display_size, realtime))
    return controller, Painter(worker)

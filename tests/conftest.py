"""Shared fixtures: golden data (tests/data/golden), tiny models, the tiny live pipeline, per-test torch
threading, and the test order (FOMM_TEST_ORDER)."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import AnimationSession, FommModels
from fomm_studio.live.cropping import plain_cropper
from fomm_studio.live.feeds import FrameFeed, SyntheticFeed
from fomm_studio.live.messages import LiveOptions
from fomm_studio.live.pipeline import FeedSetup, LivePipeline
from fomm_studio.media import save_png

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).resolve().parent / "data"
TINY_CONFIG = TEST_DATA / "tiny-64.yaml"
GOLDEN_DIR = Path(os.environ.get("FOMM_GOLDEN_DIR", TEST_DATA / "golden"))
# Every file of the golden set (see tests/data/golden/README.md); one missing is an error, not a skip.
GOLDEN_FILES = (
    "state_dict_manifest.json",
    "small/config.yaml",
    "small/checkpoint.pth.tar",
    "small/inputs.npz",
    "small/outputs.npz",
    "small/tps.npz",
)

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def requested_order() -> str:
    """FOMM_TEST_ORDER: "given" (the default), "reverse", or "shuffle:SEED" (SEED an integer), to catch
    tests that pass only after, or only before, some other test."""
    return os.environ.get("FOMM_TEST_ORDER", "").strip() or "given"


def reorder(items: list[pytest.Item], order: str) -> None:
    """Reorder the collected tests in place as `order` says (see `requested_order`)."""
    kind, _, seed = order.partition(":")
    if order == "given":
        return
    if order == "reverse":
        items.reverse()
    elif kind == "shuffle" and seed.lstrip("-").isdigit():
        random.Random(int(seed)).shuffle(items)
    else:
        raise pytest.UsageError(f"FOMM_TEST_ORDER={order!r}: expected 'given', 'reverse' or 'shuffle:SEED'")


def pytest_report_header(config: pytest.Config) -> str:
    return f"test order: {requested_order()} (FOMM_TEST_ORDER), backend cache: {os.environ.get(BACKEND_CACHE_ENV)}"


BACKEND_CACHE_ENV = "FOMM_BACKEND_CACHE"
_OWN_BACKEND_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Exported backends go to one folder per test run (shared with the subprocesses the tests start),
    never to the user's cache; a FOMM_BACKEND_CACHE set by the caller is kept (and so reused)."""
    if not os.environ.get(BACKEND_CACHE_ENV):
        _OWN_BACKEND_CACHE.append(tempfile.mkdtemp(prefix="fomm-test-backends-"))
        os.environ[BACKEND_CACHE_ENV] = _OWN_BACKEND_CACHE[-1]


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _OWN_BACKEND_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reorder(items, requested_order())
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA; none on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


def missing_golden_files(folder: Path) -> list[str]:
    return [name for name in GOLDEN_FILES if not (folder / name).is_file()]


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The original code's reference data; fails (never skips) when any file is missing."""
    missing = missing_golden_files(GOLDEN_DIR)
    if missing:
        pytest.fail(
            f"golden data incomplete in {GOLDEN_DIR}: missing {', '.join(missing)} "
            "(it ships in tests/data/golden; FOMM_GOLDEN_DIR overrides the folder)",
            pytrace=False,
        )
    return GOLDEN_DIR


@pytest.fixture(scope="session")
def tiny_config_path() -> Path:
    return TINY_CONFIG


@pytest.fixture()
def tiny_models():
    from engine import build_models, load_config

    torch.manual_seed(0)
    return build_models(load_config(TINY_CONFIG)).eval()


@pytest.fixture(scope="session")
def tiny_export() -> Path:
    """The OpenVINO export of the tiny models' weights (seed 0, as `tiny_models` and `tiny_checkpoint`),
    made once per run in the run's backend cache, so every later build of those weights loads it."""
    from engine import build_models, load_config
    from engine.backends.cache import default_cache_dir
    from engine.backends.openvino_backend import build_openvino_backends, cache_key

    torch.manual_seed(0)
    models = build_models(load_config(TINY_CONFIG)).eval()
    build_openvino_backends(models, ["openvino"], default_cache_dir())
    return cache_key(models).path(default_cache_dir())


@pytest.fixture()
def tiny_checkpoint(tmp_path: Path, tiny_models) -> Path:
    """A checkpoint in the original layout for the tiny config, with random weights."""
    from engine import save_checkpoint

    path = tmp_path / "tiny.pth.tar"
    save_checkpoint(
        path,
        {
            "generator": tiny_models.generator.state_dict(),
            "kp_detector": tiny_models.kp_detector.state_dict(),
            "epoch": 0,
        },
    )
    return path


# -- the tiny live pipeline -------------------------------------------------------------------------
FeedOpener = Callable[[str], FrameFeed]


def synthetic_feed(_spec: str) -> SyntheticFeed:
    """A 96-pixel synthetic face that does not wait for real time (the live tests' camera)."""
    return SyntheticFeed(size=96, realtime=False)


def tiny_live_pipeline(
    models: FommModels,
    avatar: Path | None = None,
    *,
    feed: FeedOpener = synthetic_feed,
    options: LiveOptions | None = None,
    display_size: int = 96,
    session_class: type[AnimationSession] | None = None,
    pipeline_class: type[LivePipeline] = LivePipeline,
    pipelined: bool = False,
    backend: str = "torch",
) -> LivePipeline:
    """The live pipeline of the tests: the app's, minus camera and face tracker.

    `models` (the tiny ones), frames from `feed` (by default `synthetic_feed`), a centre crop instead of
    the face crop, `display_size`-pixel panes, and `avatar` set when given. `session_class` replaces the
    engine session (a subclass that fails or stalls on purpose); `pipeline_class` a recording subclass;
    `backend` the inference backend the pipeline moves to once built (torch: none).
    """
    feeds = FeedSetup(feed, "synthetic", plain_cropper, display_size, pipelined)
    pipeline = pipeline_class(
        models,
        feeds,
        options or LiveOptions(face_crop=False),
        session=None if session_class is None else session_class(models),
        backend=backend,
    )
    if avatar is not None:
        pipeline.set_avatar_file(avatar)
    return pipeline


def tiny_live_builder(
    load: Callable[[], FommModels],
    avatar: Path | None,
    *,
    feed: FeedOpener = synthetic_feed,
    options: LiveOptions | None = None,
    display_size: int = 96,
    session_class: type[AnimationSession] | None = None,
    pipeline_class: type[LivePipeline] = LivePipeline,
    pipelined: bool = False,
) -> Callable[[], LivePipeline]:
    """`tiny_live_pipeline` as the builder a `LiveWorker` calls: the models load in the worker's thread.
    `pipelined` reads and crops on a capture thread, as the app's live view does."""

    def build() -> LivePipeline:
        return tiny_live_pipeline(
            load(),
            avatar,
            feed=feed,
            options=options,
            display_size=display_size,
            session_class=session_class,
            pipeline_class=pipeline_class,
            pipelined=pipelined,
        )

    return build


@pytest.fixture()
def tiny_pipeline(tiny_models: FommModels, tmp_path: Path) -> Iterator[LivePipeline]:
    """`tiny_live_pipeline` with 64-pixel panes and an 80x60 random avatar; closed after the test."""
    pixels = np.random.default_rng(0).integers(0, 255, (80, 60, 3), dtype=np.uint8)
    pipeline = tiny_live_pipeline(tiny_models, save_png(tmp_path / "a.png", pixels), display_size=64)
    yield pipeline
    pipeline.close()

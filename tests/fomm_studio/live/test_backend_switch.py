"""The live view moves to an exported backend between two frames while it keeps running on torch.

A gate holds the background build until the test opens it, so "still building" and "ready" are states
the test chooses, not races it hopes to win. The tiny models' export comes from the run's cache
(`tiny_export`), so a build here is a load, a compile and the fidelity guard.
"""

from __future__ import annotations

import _thread
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine import FommModels
from engine.backends.base import BackendCancelledError
from fomm_studio.live import backend_switch
from fomm_studio.live.backend_switch import BUILDING_NOTICE
from fomm_studio.live.cropping import plain_cropper
from fomm_studio.live.launch import LiveSpec, ModelCache, pipeline_factory
from fomm_studio.live.messages import LiveOptions, SetOptions
from fomm_studio.live.overlays import OverlayOptions
from fomm_studio.live.pipeline import LivePipeline
from fomm_studio.media import save_png
from tests.conftest import tiny_live_pipeline

pytestmark = pytest.mark.usefixtures("tiny_export")


@pytest.fixture()
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every backend build waits for this event before it starts; opened at teardown in any case."""
    opened = threading.Event()
    real = backend_switch.prepare_backend

    def gated(models, request, cache_dir, cancel, picture):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 60
        while not opened.wait(0.02):  # a cancelled build stops waiting, as the real one stops its steps
            if cancel.is_set() or time.monotonic() > deadline:
                raise BackendCancelledError("cancelled, or the test never opened the gate")
        return real(models, request, cache_dir, cancel, picture)

    monkeypatch.setattr(backend_switch, "prepare_backend", gated)
    yield opened
    opened.set()


@pytest.fixture()
def avatar(tmp_path: Path) -> Path:
    return save_png(
        tmp_path / "a.png", np.random.default_rng(0).integers(0, 255, (80, 60, 3), dtype=np.uint8)
    )


def _switch(pipeline: LivePipeline) -> backend_switch.BackendSwitch:
    switch = pipeline.backend_switch
    assert switch is not None
    return switch


def test_frames_flow_on_torch_until_the_backend_is_ready_then_switch_between_frames(
    tiny_models: FommModels, avatar: Path, gate: threading.Event
) -> None:
    pipeline = tiny_live_pipeline(tiny_models, avatar, display_size=64, backend="openvino")
    try:
        assert (
            pipeline.backend_switch is None
        )  # the build starts with the first frame (its guard needs the avatar)
        frames = [pipeline.step() for _ in range(3)]
        switch = _switch(pipeline)
        gate.set()
        assert switch.join(timeout=120)
        frames += [pipeline.step() for _ in range(3)]
        pipeline.apply(SetOptions(LiveOptions(face_crop=False, overlays=OverlayOptions(masks=True))))
        with_overlay = pipeline.step()
        pipeline.apply(SetOptions(LiveOptions(face_crop=False, overlays=OverlayOptions(occlusion=True))))
        with_occlusion = pipeline.step()
    finally:
        pipeline.close()
    assert [f.index for f in frames] == [1, 2, 3, 4, 5, 6]
    assert [f.backend for f in frames] == ["torch"] * 3 + ["openvino"] * 3
    assert all(f.panes.output.shape == (64, 64, 3) for f in frames)
    assert with_overlay.backend == "torch"  # the masks come from the torch networks
    assert with_occlusion.backend == "openvino"  # the motion (flow, occlusion) every backend hands back
    notices = pipeline.take_notices()
    assert [n.text for n in notices].count(BUILDING_NOTICE) == 1  # said once, when the build started
    (notice,) = [n for n in notices if n.text.startswith("backend ")]
    assert notice.kind == "info" and re.match(
        r"backend openvino: (same pixels as torch|[\d.]+ dB vs torch), [\d.]+x its speed", notice.text
    )
    assert pipeline.backend_switch is None


def test_without_openvino_the_view_stays_on_torch_and_says_how_to_get_it(
    tiny_models: FommModels, avatar: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)
    pipeline = tiny_live_pipeline(tiny_models, avatar, display_size=64, backend="auto")
    try:
        frames = [pipeline.step()]
        switch = pipeline.backend_switch  # None when the build failed so fast that frame 1 took its answer
        assert switch is None or switch.join(timeout=60)
        frames.append(pipeline.step())
    finally:
        pipeline.close()
    assert [f.backend for f in frames] == ["torch", "torch"]
    texts = [n.text for n in pipeline.take_notices()]
    assert any(
        t.startswith("backend torch: openvino unavailable") and "pip install openvino==" in t for t in texts
    )


def test_closing_drops_a_build_in_progress(
    tiny_models: FommModels, avatar: Path, gate: threading.Event
) -> None:
    pipeline = tiny_live_pipeline(tiny_models, avatar, display_size=64, backend="auto")
    pipeline.step()
    switch = _switch(pipeline)
    pipeline.close()
    gate.set()
    assert switch.join(timeout=60)
    assert switch.poll() is None  # cancelled: nothing is handed over


class _TinyEntry:
    """A model-picker entry for the tiny models (what `ModelCache` needs of one)."""

    def __init__(self, models: FommModels, config: Path):
        self.models, self.config_path, self.checkpoint_path = models, config, config

    def load(self, device: str = "cpu") -> FommModels:
        return self.models


def test_the_live_spec_asks_for_auto_and_the_factory_passes_it_on(
    tiny_models: FommModels, tiny_config_path: Path, avatar: Path, gate: threading.Event
) -> None:
    spec = LiveSpec(_TinyEntry(tiny_models, tiny_config_path), "synthetic", LiveOptions(), avatar, avatar)
    assert spec.backend == "auto"
    pipeline = pipeline_factory(spec, ModelCache(), cropper=plain_cropper)()
    try:
        pipeline.step()
        assert _switch(pipeline).request == "auto"
    finally:
        pipeline.close()


def test_the_build_thread_is_no_daemon_even_when_a_foreign_thread_starts_it(
    tiny_models: FommModels, gate: threading.Event
) -> None:
    """A thread Python did not start (the GUI's QThread) makes daemon threads by default, and the
    interpreter kills those at exit, inside the runtime's native code: the app aborted (134)."""
    started = threading.Event()
    switches: list[backend_switch.BackendSwitch] = []

    def foreign() -> None:
        switches.append(backend_switch.BackendSwitch(tiny_models, "openvino"))
        started.set()

    before = set(threading.enumerate())
    _thread.start_new_thread(foreign, ())  # not registered with `threading`: a foreign thread to it
    assert started.wait(30)
    (build,) = [t for t in set(threading.enumerate()) - before if t.name == "fomm-backend-build"]
    assert build.daemon is False
    switches[0].cancel()
    gate.set()
    assert switches[0].join(timeout=60)

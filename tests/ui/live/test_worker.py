"""The live worker thread: frames flow, commands arrive, sources that die recover, errors surface."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fomm_studio.api import (
    AnimationSession,
    Calibrate,
    LiveOptions,
    LivePipeline,
    OverlayOptions,
    SetOptions,
    SyntheticFeed,
    VideoFeedError,
    VideoFileFeed,
)
from tests.conftest import tiny_live_builder
from tests.doubles import FlakyFeed
from ui.live.worker import LiveController

pytestmark = pytest.mark.timeout(60)


class CountingPipeline(LivePipeline):
    """Records how often the worker asked for a recalibration."""

    calibrations = 0

    def reset_calibration(self) -> None:
        self.calibrations += 1
        super().reset_calibration()


@pytest.fixture()
def entry(tiny_entry):
    """The tiny model's registry entry: `entry.load` runs in the worker thread."""
    return tiny_entry[1]


def test_worker_animates_frames_from_a_video_file(qtbot, entry, avatar_path, driving_video) -> None:
    controller = LiveController()
    opener = lambda _spec: VideoFileFeed(driving_video, loop=True, realtime=False)  # noqa: E731
    worker = controller.start(tiny_live_builder(entry.load, avatar_path, feed=opener))
    try:
        with qtbot.waitSignal(worker.frame_ready, timeout=20000) as blocker:
            pass
        frame = blocker.args[0]
        assert frame.panes.output.shape == (96, 96, 3) and frame.panes.output.dtype == np.uint8
        assert set(frame.timings) == {"capture", "crop", "keypoints", "generator", "display"}
        assert frame.timings["generator"] > 0
        assert worker.take_latest() is not None  # the slot held it until the GUI took it
    finally:
        assert controller.shutdown()


def test_latest_frame_wins_and_drops_are_counted(qtbot, entry, avatar_path) -> None:
    controller = LiveController()
    worker = controller.start(tiny_live_builder(entry.load, avatar_path))
    try:
        with qtbot.waitSignal(worker.frame_ready, timeout=20000):
            pass
        # Nobody takes the frame: the worker keeps producing, replacing the slot and counting drops.
        qtbot.waitUntil(lambda: worker.dropped >= 2, timeout=20000)
        produced, dropped = worker.produced, worker.dropped
        assert produced - dropped >= 1
        latest = worker.take_latest()
        assert latest is not None and latest.index >= 3  # a newer frame replaced the first one
    finally:
        assert controller.shutdown()


def test_toggles_and_calibrate_reach_the_worker(qtbot, entry, avatar_path) -> None:
    controller = LiveController()
    worker = controller.start(tiny_live_builder(entry.load, avatar_path, pipeline_class=CountingPipeline))
    try:
        with qtbot.waitSignal(worker.frame_ready, timeout=20000):
            pass
        worker.take_latest()
        before = worker.pipeline.calibrations
        options = LiveOptions(
            face_crop=False,
            mirror=False,
            relative=False,
            overlays=OverlayOptions(keypoints=True, occlusion=True),
        )
        worker.post(SetOptions(options))
        worker.post(Calibrate())
        qtbot.waitUntil(lambda: worker.pipeline.options == options, timeout=10000)
        assert worker.pipeline.calibrations >= before + 2  # motion change + calibrate both reset D_1
        assert worker.pipeline.session.options.relative is False
        worker.take_latest()
        with qtbot.waitSignal(worker.frame_ready, timeout=20000) as blocker:
            pass
        plain = blocker.args[0]
        assert plain.panes.output.std() > 0
    finally:
        assert controller.shutdown()


def test_source_that_dies_shows_the_error_and_recovers(qtbot, entry, avatar_path) -> None:
    flaky = FlakyFeed(SyntheticFeed(size=96, realtime=False), fail_after=2, recover_after=1)
    controller = LiveController()
    worker = controller.start(
        tiny_live_builder(entry.load, avatar_path, feed=lambda _spec: flaky), retry_interval=0.2
    )
    states: list[tuple[str, str]] = []
    worker.source_state.connect(lambda state, text: states.append((state, text)))
    frames: list[object] = []
    worker.frame_ready.connect(lambda _f: frames.append(worker.take_latest()))
    try:
        qtbot.waitUntil(lambda: any(s == "lost" for s, _ in states) and len(frames) >= 4, timeout=30000)
        lost = next(text for state, text in states if state == "lost")
        assert "stopped delivering frames" in lost and "Retrying" in lost
        assert [s for s, _ in states].count("ok") >= 2  # opened, lost, reopened
    finally:
        assert controller.shutdown()


def test_engine_error_is_reported_through_failed(qtbot, entry, avatar_path) -> None:
    class Broken(AnimationSession):
        def animate(self, frame, with_extras=True):
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    controller = LiveController()
    worker = controller.start(tiny_live_builder(entry.load, avatar_path, session_class=Broken))
    with qtbot.waitSignal(worker.failed, timeout=20000) as blocker:
        pass
    assert "Out of memory" in blocker.args[0]
    qtbot.waitUntil(lambda: controller.worker_thread.isFinished(), timeout=10000)
    assert controller.shutdown()


def test_gui_thread_keeps_running_while_the_engine_works(qtbot, entry, avatar_path) -> None:
    """Ordering, not timing: each engine call here waits until a GUI-thread timer has fired during it,
    so frames only arrive if the GUI thread handles events while the worker is in the engine."""
    from PySide6.QtCore import QTimer

    in_engine, gui_ran, finished = threading.Event(), threading.Event(), threading.Event()
    ticks_in_engine: list[threading.Thread] = []

    class WaitsForTheGui(AnimationSession):
        def animate(self, frame, with_extras=True):
            gui_ran.clear()
            in_engine.set()
            while not (gui_ran.wait(0.05) or finished.is_set()):
                pass
            in_engine.clear()
            return super().animate(frame, with_extras)

    def tick() -> None:
        if in_engine.is_set():
            ticks_in_engine.append(threading.current_thread())
            gui_ran.set()

    controller = LiveController()
    worker = controller.start(tiny_live_builder(entry.load, avatar_path, session_class=WaitsForTheGui))
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    frames = []
    worker.frame_ready.connect(lambda _f: frames.append(worker.take_latest()))
    try:
        timer.start()
        qtbot.waitUntil(lambda: len(frames) >= 4, timeout=30000)
        assert len(ticks_in_engine) >= 4  # at least one GUI event during each frame's engine call
        assert set(ticks_in_engine) == {threading.main_thread()}
    finally:
        timer.stop()
        finished.set()  # lets a waiting engine call through, so the worker can stop
        assert controller.shutdown()


def _capture_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "fomm-capture"]


def test_the_pipelined_loop_runs_and_shutdown_joins_its_capture_thread(qtbot, entry, avatar_path) -> None:
    controller = LiveController()
    worker = controller.start(tiny_live_builder(entry.load, avatar_path, pipelined=True))
    try:
        with qtbot.waitSignal(worker.frame_ready, timeout=20000) as blocker:
            pass
        assert blocker.args[0].captured_at > 0 and len(_capture_threads()) == 1
    finally:
        assert controller.shutdown()
    assert _capture_threads() == []  # pipeline.close() joined it before the worker's thread ended


def test_a_pipelined_camera_that_dies_is_retried_and_recovers(qtbot, entry, avatar_path) -> None:
    flaky = FlakyFeed(SyntheticFeed(size=96, realtime=False), fail_after=2, recover_after=1)
    controller = LiveController()
    worker = controller.start(
        tiny_live_builder(entry.load, avatar_path, feed=lambda _spec: flaky, pipelined=True),
        retry_interval=0.2,
    )
    states: list[str] = []
    worker.source_state.connect(lambda state, _text: states.append(state))
    frames: list[object] = []
    worker.frame_ready.connect(lambda _f: frames.append(worker.take_latest()))
    try:
        qtbot.waitUntil(lambda: "lost" in states and len(frames) >= 4, timeout=30000)
        assert states.count("ok") >= 2  # opened, lost on the capture thread, reopened
    finally:
        assert controller.shutdown()
    assert _capture_threads() == []


@pytest.mark.parametrize("pipelined", [False, True])
def test_a_video_file_that_cannot_be_decoded_fails_once_with_its_reason(
    qtbot, entry, avatar_path, tmp_path, pipelined
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00garbage" * 999)
    opener = lambda _spec: VideoFileFeed(broken, loop=True, realtime=False)  # noqa: E731
    controller = LiveController()
    worker = controller.start(
        tiny_live_builder(entry.load, avatar_path, feed=opener, pipelined=pipelined), retry_interval=0.05
    )
    states: list[str] = []
    failures: list[str] = []
    worker.source_state.connect(lambda state, _text: states.append(state))
    worker.failed.connect(failures.append)
    with qtbot.waitSignal(worker.stopped, timeout=20000):
        pass
    assert len(failures) == 1 and "broken.mp4" in failures[0] and "FFmpeg" in failures[0]
    assert "waiting" not in states and "lost" not in states  # no retry of a file
    assert controller.shutdown()


def test_a_clip_that_breaks_mid_stream_on_the_capture_thread_fails_once(qtbot, entry, avatar_path) -> None:
    class BreakingClip(FlakyFeed):
        def read(self):
            self.attempts += 1
            if self.attempts > 3:
                raise VideoFeedError("clip.mp4: video cannot be decoded (Invalid data found)")
            return self.inner.read()

    clip = BreakingClip(SyntheticFeed(size=96, realtime=False), fail_after=0)
    controller = LiveController()
    worker = controller.start(
        tiny_live_builder(entry.load, avatar_path, feed=lambda _spec: clip, pipelined=True),
        retry_interval=0.05,
    )
    failures: list[str] = []
    worker.failed.connect(failures.append)
    with qtbot.waitSignal(worker.stopped, timeout=20000):
        pass
    assert failures == ["clip.mp4: video cannot be decoded (Invalid data found)"] and clip.attempts == 4
    assert controller.shutdown()
    assert _capture_threads() == []

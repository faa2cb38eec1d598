"""fomm_studio.live.feeds: camera, video file and synthetic frame sources."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from fomm_studio.live import feeds as sources
from fomm_studio.live.feeds import (
    CameraFeed,
    CameraLostError,
    FeedError,
    FeedExhaustedError,
    FrameFeed,
    Pacer,
    SyntheticFeed,
    VideoFileFeed,
    open_feed,
)
from tests.fomm_studio.media_samples import make_video


class FakeClock:
    """Replaces time.monotonic/time.sleep in the sources module: sleeping advances the clock."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(sources.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(sources.time, "sleep", fake.sleep)
    return fake


def test_pacer_keeps_real_time_and_does_not_rush_after_a_stall(clock: FakeClock) -> None:
    pacer = Pacer(fps=10)
    pacer.wait()  # first frame: no wait
    clock.now += 0.03  # the consumer took 30 ms
    pacer.wait()
    assert clock.slept == [pytest.approx(0.07)]
    clock.now += 1.0  # a long stall: restart the schedule instead of catching up
    pacer.wait()
    pacer.wait()
    assert clock.slept[1:] == [pytest.approx(0.1)]


def test_synthetic_source_moves_and_is_reproducible() -> None:
    with SyntheticFeed(size=64, fps=30, seed=3, realtime=False) as source:
        frames = [source.read() for _ in range(10)]
    assert frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    changed = [np.abs(a.astype(int) - b).sum() > 0 for a, b in itertools.pairwise(frames)]
    assert all(changed)
    assert np.array_equal(SyntheticFeed(size=64, seed=3).frame_at(9), frames[9])
    assert not np.array_equal(SyntheticFeed(size=64, seed=4).frame_at(9), frames[9])
    assert isinstance(source, FrameFeed)


def test_synthetic_head_really_moves_and_loops() -> None:
    source = SyntheticFeed(size=128, seed=0)
    centres = np.array([source.head_center(i) for i in range(0, sources.LOOP_FRAMES, 5)])
    assert np.ptp(centres[:, 0]) > 10 and np.ptp(centres[:, 1]) > 5  # pixels moved
    assert np.ptp(source.cartoon.motion.angle) > 10  # degrees turned
    assert np.array_equal(source.frame_at(sources.LOOP_FRAMES + 7), source.frame_at(7))


def test_synthetic_source_read_before_open_and_bad_arguments() -> None:
    with pytest.raises(FeedError, match="not open"):
        SyntheticFeed().read()
    with pytest.raises(FeedError, match="size 8 is too small"):
        SyntheticFeed(size=8)


def test_synthetic_source_paces_at_its_fps(clock: FakeClock) -> None:
    with SyntheticFeed(size=32, fps=20) as source:
        for _ in range(5):
            source.read()
    assert sum(clock.slept) == pytest.approx(4 * 0.05)


def test_video_file_source_loops_at_file_fps(tmp_path: Path, clock: FakeClock) -> None:
    path = make_video(tmp_path / "drive.mp4", frames=6, fps=12, audio=None)
    with VideoFileFeed(path) as source:
        assert source.fps == 12.0 and source.name == "drive.mp4"
        frames = [source.read() for _ in range(9)]
    assert frames[0].shape == (48, 64, 3)
    assert np.array_equal(frames[6], frames[0])  # looped
    assert sum(clock.slept) == pytest.approx(8 / 12)


def test_video_file_source_without_loop_ends(tmp_path: Path) -> None:
    path = make_video(tmp_path / "drive.mp4", frames=3, audio=None)
    with VideoFileFeed(path, loop=False, realtime=False) as source:
        for _ in range(3):
            source.read()
        with pytest.raises(FeedExhaustedError, match=r"drive\.mp4: end of video"):
            source.read()


@pytest.mark.parametrize(("content", "message"), [(None, "not found"), (b"\x00garbage" * 999, "drive.mp4")])
def test_video_file_source_errors_name_the_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "drive.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FeedError, match=message):
        VideoFileFeed(path).open()


def test_missing_camera_is_a_source_error() -> None:
    with pytest.raises(FeedError, match="camera 57 not found or busy"):
        CameraFeed(57).open()


class FakeCapture:
    """cv2.VideoCapture stand-in delivering `frames` BGR frames, then failing like an unplugged camera."""

    def __init__(self, index: int, frames: int = 2) -> None:
        self.index, self.left, self.released = index, frames, False

    def isOpened(self) -> bool:  # noqa: N802 - cv2's name
        return True

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        return 0.0  # driver does not know its fps

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.left == 0:
            return False, None
        self.left -= 1
        frame = np.zeros((4, 6, 3), np.uint8)
        frame[..., 0] = 255  # blue in BGR
        return True, frame

    def release(self) -> None:
        self.released = True


def test_camera_frames_are_rgb_and_unplugging_raises_camera_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    captures: list[FakeCapture] = []
    monkeypatch.setattr(
        sources.cv2, "VideoCapture", lambda index: captures.append(FakeCapture(index)) or captures[-1]
    )
    with CameraFeed(2, width=640, height=480) as camera:
        assert camera.fps == sources.DEFAULT_CAMERA_FPS
        assert camera.read()[0, 0].tolist() == [0, 0, 255]
        camera.read()
        with pytest.raises(CameraLostError, match="camera 2 stopped delivering frames"):
            camera.read()
    assert captures[0].released


def test_open_source_parses_user_choices(tmp_path: Path) -> None:
    camera = open_feed(" 1 ")
    assert isinstance(camera, CameraFeed) and camera.index == 1
    assert isinstance(open_feed("synthetic"), SyntheticFeed)
    video = make_video(tmp_path / "my clip.mp4", frames=2, audio=None)
    assert isinstance(open_feed(str(video)), VideoFileFeed)
    with pytest.raises(FeedError, match=r"nope\.mp4: video file not found"):
        open_feed(str(tmp_path / "nope.mp4"))


def test_a_clip_can_stand_in_for_a_faster_camera(tmp_path: Path) -> None:
    """'clip.mp4@60' paces the clip at 60 fps (benchmarks whose view must not wait for a 25 fps clip);
    a file whose own name has an '@' still opens as itself."""
    video = make_video(tmp_path / "clip.mp4", frames=3, audio=None)
    fast = open_feed(f"{video}@60")
    assert isinstance(fast, VideoFileFeed) and fast.path == video
    with fast:
        assert fast.fps == 60.0 and fast.read().ndim == 3
    with open_feed(str(video)) as plain:
        assert plain.fps != 60.0  # the clip's own rate
    named = make_video(tmp_path / "me@home.mp4", frames=2, audio=None)
    assert open_feed(str(named)).path == named
    for bad in ("0", "fast", "5000"):
        with pytest.raises(FeedError, match=r"the rate after '@' must be frames a second"):
            open_feed(f"{video}@{bad}")

"""Load held: the live view runs ~1000 frames of the tiny model through the real Live tab; memory
stays flat after warm-up and no backlog of frames builds up (the latest-frame slot holds one).

The full 10,000-frame soak with figures is `python3 benchmarks/soak_live.py`.
"""

from __future__ import annotations

import collections
import gc
import os
import weakref
from pathlib import Path

import pytest

from fomm_studio.api import LiveFrame, LivePipeline, SyntheticFeed
from tests.conftest import tiny_live_pipeline

pytestmark = pytest.mark.timeout(180)

WARMUP_FRAMES = 100
SOAK_FRAMES = 1000
RSS_GROWTH_LIMIT_MB = 50.0


def rss_mb() -> float:
    """Resident set size of this process now (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        resident_pages = int(handle.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class TrackedPipeline(LivePipeline):
    """Keeps weak references to the frames it made last, so the test can count those still alive."""

    recent: collections.deque[weakref.ref[LiveFrame]]

    def step(self) -> LiveFrame:
        frame = super().step()
        self.recent.append(weakref.ref(frame))
        return frame


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").is_file(), reason="reads RSS from /proc")
def test_live_tab_soak_keeps_memory_flat_and_one_pending_frame(
    qtbot, make_window, tiny_entry, avatar_path: Path
) -> None:
    window = make_window()
    live, (_registry, entry) = window.live, tiny_entry
    recent: collections.deque[weakref.ref[LiveFrame]] = collections.deque(maxlen=50)

    def build() -> TrackedPipeline:
        feed = lambda _spec: SyntheticFeed(size=128, realtime=False)  # noqa: E731
        pipeline = tiny_live_pipeline(
            entry.load(), avatar_path, feed=feed, display_size=128, pipeline_class=TrackedPipeline
        )
        pipeline.recent = recent
        return pipeline

    most_alive = [0]

    def count_alive(_frame: LiveFrame) -> None:
        most_alive[0] = max(most_alive[0], sum(ref() is not None for ref in list(recent)))

    live.frame_shown.connect(count_alive)
    live.gallery.add(avatar_path)
    assert live.start(build)
    qtbot.waitUntil(lambda: live.frames_shown >= WARMUP_FRAMES, timeout=60000)
    gc.collect()
    start_rss = rss_mb()
    qtbot.waitUntil(lambda: live.frames_shown >= SOAK_FRAMES, timeout=150000)
    worker = live.worker
    live.controller.stop()
    qtbot.waitUntil(lambda: not live.running, timeout=20000)
    gc.collect()
    end_rss = rss_mb()
    growth = end_rss - start_rss
    print(f"soak: {live.frames_shown} frames shown, RSS {start_rss:.1f} -> {end_rss:.1f} MB ({growth:+.1f})")
    assert growth < RSS_GROWTH_LIMIT_MB, f"RSS grew {growth:.1f} MB over {SOAK_FRAMES - WARMUP_FRAMES} frames"
    # Every frame made was shown or dropped (superseded in the slot); at most one was left pending.
    assert worker is not None and worker.produced - worker.dropped - live.frames_shown in (0, 1)
    # No backlog: besides the one in the slot, only the frame being painted / just made was alive.
    assert most_alive[0] <= 3, f"{most_alive[0]} frames alive at once"

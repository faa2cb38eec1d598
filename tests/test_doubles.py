"""The shared test doubles behave as the tests that use them assume."""

from __future__ import annotations

from fomm_studio.live.feeds import CameraLostError, FrameFeed, SyntheticFeed
from tests.doubles import FlakyFeed


def test_flaky_feed_fails_for_a_while_then_recovers_after_reopening() -> None:
    flaky = FlakyFeed(SyntheticFeed(size=32, realtime=False), fail_after=2, recover_after=2)
    assert isinstance(flaky, FrameFeed)
    outcomes = []
    with flaky:
        for _ in range(6):
            try:
                flaky.read()
                outcomes.append("ok")
            except CameraLostError:
                outcomes.append("lost")
                flaky.close()
                flaky.open()
    assert outcomes == ["ok", "ok", "lost", "lost", "ok", "ok"]
    assert flaky.attempts == 6 and flaky.fps == 30.0  # the inner source's rate

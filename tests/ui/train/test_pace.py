"""Seconds per step and the time left, from the steps the Train tab saw arrive."""

from __future__ import annotations

import pytest

from ui.train.pace import StepPace


def test_pace_over_the_recent_steps_and_time_left() -> None:
    pace = StepPace(window_s=60.0)
    assert pace.seconds_per_step() is None and pace.seconds_left(0, 100) is None
    pace.observe(0.0, 10)
    pace.observe(1.0, 10)  # the same step seen again: no new sample
    assert pace.seconds_per_step() is None
    pace.observe(4.0, 12)
    assert pace.seconds_per_step() == pytest.approx(2.0)
    assert pace.seconds_left(12, 100) == pytest.approx(176.0)
    assert pace.seconds_left(12, None) is None  # runs by epochs: no end step known
    for t in range(5, 200, 5):  # faster later: the old samples leave the window
        pace.observe(4.0 + t, 12 + 5 * t)
    assert pace.seconds_per_step() == pytest.approx(0.2)


def test_a_lower_step_starts_over() -> None:
    pace = StepPace()
    pace.observe(0.0, 50)
    pace.observe(10.0, 60)
    pace.observe(11.0, 1)  # a new run shown in the same view
    assert pace.seconds_per_step() is None


def test_the_train_tab_says_the_pace_and_the_time_left(make_window) -> None:
    panel = make_window().train
    assert panel._pace_text(10, 100) == ""
    panel.pace.observe(0.0, 10)
    panel.pace.observe(4.0, 12)
    assert panel._pace_text(12, 100) == " · 2.00 s/step · about 2:56 left"
    assert panel._pace_text(12, None) == " · 2.00 s/step"

"""How fast a training goes, as the Train tab sees it: seconds per step over the last minutes of steps
it watched arrive, and the time left to the last step."""

from __future__ import annotations

from collections import deque


class StepPace:
    """Seconds per step over the steps seen in the last `window_s` seconds (`observe` each refresh)."""

    def __init__(self, window_s: float = 120.0):
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()  # (time, step), steps increasing

    def reset(self) -> None:
        self._samples.clear()

    def observe(self, now: float, step: int) -> None:
        if self._samples and step < self._samples[-1][1]:
            self._samples.clear()  # a new run in the same view
        if not self._samples or step > self._samples[-1][1]:
            self._samples.append((now, step))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window_s:
            self._samples.popleft()

    def seconds_per_step(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, s0), (t1, s1) = self._samples[0], self._samples[-1]
        return (t1 - t0) / (s1 - s0)

    def seconds_left(self, last_step: int, max_steps: int | None) -> float | None:
        pace = self.seconds_per_step()
        if pace is None or not max_steps:
            return None
        return pace * max(max_steps - last_step, 0)

"""Per-stage timings of one frame without stalling the device for them.

On the CPU a stage ends when its Python call returns, so `perf_counter` is exact. On CUDA the calls
return before the work is done: a synchronisation per stage would give honest numbers but slow every
frame. CUDA events are recorded into the stream instead and read after the frame's one synchronising
download, so timing costs no extra synchronisation.
"""

from __future__ import annotations

import time

import torch


class StageClock:
    """`mark(name)` at the end of each stage; `finish()` (after the frame's download) -> milliseconds."""

    def __init__(self, device: torch.device):
        self._cuda = device.type == "cuda"
        self._names: list[str] = []
        self._cpu_marks = [time.perf_counter()]
        self._events: list[torch.cuda.Event] = []
        if self._cuda:
            self._events.append(self._record())

    @staticmethod
    def _record() -> torch.cuda.Event:
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    def mark(self, name: str) -> None:
        self._names.append(name)
        if self._cuda:
            self._events.append(self._record())
        else:
            self._cpu_marks.append(time.perf_counter())

    def finish(self) -> dict[str, float]:
        """Milliseconds per stage. On CUDA, call after the frame's results reached the host."""
        if self._cuda:
            self._events[-1].synchronize()  # already done after the download: returns at once
            return {
                name: self._events[i].elapsed_time(self._events[i + 1]) for i, name in enumerate(self._names)
            }
        marks = self._cpu_marks
        return {name: (marks[i + 1] - marks[i]) * 1000.0 for i, name in enumerate(self._names)}

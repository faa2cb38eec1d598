"""Live performance plots: FPS and per-stage latency over the last minute (pyqtgraph).

Curves are created once; frames only append to ring buffers, and a 2 Hz timer calls `setData`, so
plotting costs the GUI thread almost nothing however fast frames arrive.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from fomm_studio.api import STAGES
from ui.widgets.legends import curve_legend_html, curve_legend_label

WINDOW_S = 60.0
STAGE_COLORS = {
    "capture": "#46a758",
    "crop": "#f5a524",
    "keypoints": "#3d8bfd",
    "generator": "#e5484d",
    "display": "#a78bfa",
}


class StatsPanel(QWidget):
    """Two plots side by side: frames per second, and milliseconds per stage."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="#15171b", foreground="#aab1bb")
        self._times: deque[float] = deque()
        self._stages: dict[str, deque[float]] = {name: deque() for name in STAGES}
        self._fps_times: deque[float] = deque()
        self._fps: deque[float] = deque()
        self._t0 = time.monotonic()
        self.fps_plot = pg.PlotWidget()
        self.latency_plot = pg.PlotWidget()
        self._setup_plots()
        latency = QVBoxLayout()
        latency.setSpacing(2)
        latency.addWidget(self.latency_plot, 1)
        latency.addWidget(self.legend)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.fps_plot, 2)
        layout.addLayout(latency, 3)
        self.timer = QTimer(self)
        self.timer.setInterval(500)
        self.timer.timeout.connect(self._on_timer)
        self.timer.start()

    def _setup_plots(self) -> None:
        self.fps_plot.setTitle("FPS", size="9pt")
        self.fps_plot.setLabel("bottom", "seconds")
        self.fps_curve = self.fps_plot.plot(pen=pg.mkPen("#46a758", width=2))
        self.latency_plot.setTitle("Latency per stage (ms)", size="9pt")
        self.latency_plot.setLabel("bottom", "seconds")
        self.legend = curve_legend_label()  # under the plot: inside it covered the newest values
        self.legend.setText(curve_legend_html([(STAGE_COLORS[name], "━━", name) for name in STAGES]))
        self.stage_curves = {
            name: self.latency_plot.plot(pen=pg.mkPen(STAGE_COLORS[name], width=2)) for name in STAGES
        }
        for plot in (self.fps_plot, self.latency_plot):
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMouseEnabled(x=False, y=False)
            plot.setMenuEnabled(False)
            plot.setXRange(-WINDOW_S, 0, padding=0)
            plot.getPlotItem().hideButtons()

    def add_frame(self, timings: dict[str, float]) -> None:
        """Record one frame's stage timings (cheap: appends only)."""
        now = time.monotonic()
        self._times.append(now)
        for name in STAGES:
            self._stages[name].append(float(timings.get(name, 0.0)))

    def add_fps(self, fps: float) -> None:
        self._fps_times.append(time.monotonic())
        self._fps.append(fps)

    def clear(self) -> None:
        self._times.clear()
        self._fps_times.clear()
        self._fps.clear()
        for values in self._stages.values():
            values.clear()
        self._on_timer()

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > WINDOW_S:
            self._times.popleft()
            for values in self._stages.values():
                values.popleft()
        while self._fps_times and now - self._fps_times[0] > WINDOW_S:
            self._fps_times.popleft()
            self._fps.popleft()

    def _on_timer(self) -> None:
        now = time.monotonic()
        self._trim(now)
        x = np.fromiter(self._times, float, len(self._times)) - now
        for name, curve in self.stage_curves.items():
            curve.setData(x, np.fromiter(self._stages[name], float, len(x)))
        fx = np.fromiter(self._fps_times, float, len(self._fps_times)) - now
        self.fps_curve.setData(fx, np.fromiter(self._fps, float, len(fx)))

    def mean_timings(self, last: int = 30) -> dict[str, float]:
        """Mean per stage over the last `last` frames (for the headless report)."""
        out = {}
        for name, values in self._stages.items():
            tail = list(values)[-last:]
            out[name] = float(np.mean(tail)) if tail else 0.0
        return out

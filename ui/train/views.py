"""Widgets of the Train tab's live view: loss / learning-rate plots, checkpoint table, collapsible log."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import CheckpointRow, Series
from ui.widgets.legends import curve_legend_html, curve_legend_label

CURVE_COLORS = ("#3d8bfd", "#e5484d", "#46a758", "#f5a524", "#a78bfa", "#2dd4bf", "#f472b6", "#e6e9ee")
# Curves that share values (two learning rates on one schedule) must stay apart: a style each, drawn
# over one another a dashed line leaves gaps through which the line below shows.
CURVE_STYLES = (
    (Qt.PenStyle.SolidLine, "━━"),
    (Qt.PenStyle.DashLine, "╍╍"),
    (Qt.PenStyle.DotLine, "┅┅"),
    (Qt.PenStyle.DashDotLine, "━┅"),
)
LOG_LABELLED_MANTISSAS = (1, 2, 5)  # on a log axis only 1, 2 and 5 x 10^k carry a label
LOG_MAX_LINES = 5000
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's 'no maximum size'


def value_range(values: Sequence[float]) -> tuple[float, float]:
    """The y range of a linear plot of non-negative quantities (learning rates): from 0 (or the lowest
    value when below 0) to a little above the highest. A constant series gets 0 to twice its value,
    not the +-0.5 around it that an automatic range gives a flat line."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lowest, highest = min(finite), max(finite)
    if lowest == highest:
        if highest == 0.0:
            return 0.0, 1.0
        return (0.0, 2.0 * highest) if highest > 0.0 else (2.0 * lowest, 0.0)
    low, high = min(lowest, 0.0), max(highest, 0.0)
    pad = 0.1 * (high - low)
    return (low - pad if lowest < 0.0 else low), (high + pad if highest > 0.0 else high)


def plain_number(value: float) -> str:
    """A tick label without an SI prefix scale: '0.0002', '1.5e-05', '3'."""
    if value == 0.0:
        return "0"
    return f"{value:.3g}"


class ValueAxis(pg.AxisItem):
    """A y axis whose labels are the values themselves: no '(x0.001)' scale on the title, and on a log
    axis only 1, 2 and 5 x 10^k are labelled, so the labels never run into each other."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if not self.logMode:
            return [plain_number(v * scale) for v in values]
        labels = []
        for exponent in values:  # log10 of the value
            value = 10.0**exponent
            mantissa = value / 10.0 ** math.floor(exponent + 1e-9)
            labelled = any(abs(mantissa - m) < 1e-6 for m in LOG_LABELLED_MANTISSAS)
            labels.append(plain_number(value) if labelled else "")
        return labels


class CurvePlot(QWidget):
    """A plot of named series against the step, its legend below it (outside the curves). A curve is
    created the first time its name appears, then only `setData` is called on it."""

    def __init__(self, title: str, log_y: bool, y_label: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(axisItems={"left": ValueAxis("left")})
        self.plot.setTitle(title, size="9pt")
        self.plot.setLabel("bottom", "step")
        if y_label:
            self.plot.setLabel("left", y_label)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setLogMode(x=False, y=log_y)
        self.plot.getPlotItem().hideButtons()
        self._log_y = log_y
        self.legend = curve_legend_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._legend_entries: list[tuple[str, str, str]] = []

    def show_series(self, series: dict[str, Series]) -> None:
        for name, data in series.items():
            curve = self.curves.get(name)
            if curve is None:
                curve = self._add_curve(name)
            values = [max(v, 1e-12) for v in data.values] if self._log_y else data.values
            curve.setData(data.steps, values)
        if not self._log_y and series:
            low, high = value_range([v for data in series.values() for v in data.values])
            self.plot.setYRange(low, high, padding=0)

    def _add_curve(self, name: str) -> pg.PlotDataItem:
        index = len(self.curves)
        color = CURVE_COLORS[index % len(CURVE_COLORS)]
        style, sample = CURVE_STYLES[index % len(CURVE_STYLES)]
        if name == "total":  # the sum: the one line to follow, solid and thicker
            style, sample = CURVE_STYLES[0]
        pen = pg.mkPen(color, width=3 if name == "total" else 2, style=style)
        if style != Qt.PenStyle.SolidLine:
            pen.setDashPattern([3.0, 3.0] if style == Qt.PenStyle.DashLine else pen.dashPattern())
        curve = self.plot.plot(name=name, pen=pen)
        self.curves[name] = curve
        self._legend_entries.append((color, sample, name))
        self.legend.setText(curve_legend_html(self._legend_entries))
        return curve

    def clear_curves(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])


class CheckpointTable(QTableWidget):
    """Checkpoints of the shown run: step, when, best flag. The selected row is the one to use."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Checkpoint", "Saved", "Best"])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.rows: list[CheckpointRow] = []

    def show_rows(self, rows: list[CheckpointRow]) -> None:
        """Refill when the list changed, keeping the selected file selected."""
        if rows == self.rows:
            return
        selected = self.selected_path()
        self.rows = rows
        self.setRowCount(len(rows))
        for index, row in enumerate(rows):
            saved = time.strftime("%H:%M:%S", time.localtime(row.time)) if row.time else "–"
            label = (
                row.label if row.step is None or row.label.startswith("step") else f"best (step {row.step})"
            )
            for column, text in enumerate((label, saved, "★" if row.best else "")):
                item = QTableWidgetItem(text)
                item.setToolTip(str(row.path))
                self.setItem(index, column, item)
        paths = [r.path for r in rows]
        if selected in paths:
            self.selectRow(paths.index(selected))
        elif rows:
            self.selectRow(len(rows) - 1 if rows[-1].best else 0)  # best.pth.tar by default

    def selected_path(self) -> Path | None:
        indexes = self.selectionModel().selectedRows() if self.selectionModel() else []
        return self.rows[indexes[0].row()].path if indexes and indexes[0].row() < len(self.rows) else None


class CollapsibleLog(QWidget):
    """The training process's output, hidden behind a toggle until wanted (or until something fails).
    Collapsed it is only as tall as its toggle, so a splitter holding it gives it no empty room."""

    expanded_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setText("Process output")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setStyleSheet("QToolButton { border: none; color: #aab1bb; }")
        self.toggle.toggled.connect(self.set_expanded)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(LOG_MAX_LINES)
        self.text.setFont(QFont("monospace", 9))
        self.text.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.text, 1)
        self.text.setMinimumHeight(80)
        self.setMaximumHeight(self.toggle.sizeHint().height())

    def set_expanded(self, expanded: bool) -> None:
        changed = expanded != self.text.isVisibleTo(self)
        self.toggle.setChecked(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.text.setVisible(expanded)
        self.setMaximumHeight(QWIDGETSIZE_MAX if expanded else self.toggle.sizeHint().height())
        if changed:
            self.expanded_changed.emit(expanded)

    def append(self, text: str) -> None:
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        self.text.insertPlainText(text)
        self.text.ensureCursorVisible()

    def contents(self) -> str:
        return self.text.toPlainText()

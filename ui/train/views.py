"""Widgets of the Train tab's live view: loss / learning-rate plots, checkpoint table, collapsible log."""

from __future__ import annotations

import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
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

CURVE_COLORS = ("#3d8bfd", "#e5484d", "#46a758", "#f5a524", "#a78bfa", "#2dd4bf", "#f472b6", "#e6e9ee")
LOG_MAX_LINES = 5000


class CurvePlot(pg.PlotWidget):
    """A plot of named series against the step. A curve is created the first time its name appears,
    then only `setData` is called on it."""

    def __init__(self, title: str, log_y: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(title, size="9pt")
        self.setLabel("bottom", "step")
        self.showGrid(x=True, y=True, alpha=0.15)
        self.setLogMode(x=False, y=log_y)
        self._log_y = log_y
        legend = self.addLegend(offset=(-4, 4), labelTextSize="8pt")
        legend.setBrush(pg.mkBrush(21, 23, 27, 180))
        self.curves: dict[str, pg.PlotDataItem] = {}

    def show_series(self, series: dict[str, Series]) -> None:
        for name, data in series.items():
            curve = self.curves.get(name)
            if curve is None:
                color = CURVE_COLORS[len(self.curves) % len(CURVE_COLORS)]
                width = 3 if name == "total" else 2
                curve = self.plot(name=name, pen=pg.mkPen(color, width=width))
                self.curves[name] = curve
            values = [max(v, 1e-12) for v in data.values] if self._log_y else data.values
            curve.setData(data.steps, values)

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
    """The training process's output, hidden behind a toggle until wanted (or until something fails)."""

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

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.text.setVisible(expanded)

    def append(self, text: str) -> None:
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        self.text.insertPlainText(text)
        self.text.ensureCursorVisible()

    def contents(self) -> str:
        return self.text.toPlainText()

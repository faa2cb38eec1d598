"""The Train tab's run view: a run folder's loss and learning-rate curves, its latest sample
reconstruction, its checkpoints with "Use in Live", and the training process's output."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from fomm_studio.api import RunMonitor
from ui.train.views import CheckpointTable, CollapsibleLog, CurvePlot
from ui.widgets.image_view import ImageView


class RunView(QWidget):
    """Shows one run folder (`show_run`) and catches up with it on each `refresh()`.
    `use_in_live(run_dir, checkpoint)` when the user picks a checkpoint for the Live tab."""

    use_in_live = Signal(object, object)  # run folder, checkpoint path
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.monitor: RunMonitor | None = None
        self._sample_shown: Path | None = None
        self.loss_plot = CurvePlot("Loss terms (log scale)", log_y=True)
        self.lr_plot = CurvePlot("Learning rate", log_y=False, y_label="lr")
        self.loss_plot.setMinimumHeight(170)
        self.lr_plot.setMinimumHeight(130)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.lr_plot)
        plots.setChildrenCollapsible(False)
        plots.setSizes([300, 160])
        self.sample_view = ImageView("Latest sample")
        self.sample_view.setToolTip(
            "The newest sample reconstruction: source | driving | keypoints | prediction | occlusion"
        )
        self.sample_view.setMinimumSize(200, 120)
        self.checkpoints = CheckpointTable()
        self.checkpoints.setMinimumHeight(90)
        self.use_button = QPushButton("Use in Live")
        self.use_button.setToolTip(
            "Register the selected checkpoint as a model and switch the Live tab to it"
        )
        self.use_button.clicked.connect(self.use_selected_checkpoint)
        side = QVBoxLayout()
        side.addWidget(self.checkpoints, 1)
        side.addWidget(self.use_button)
        bottom = QWidget()
        bottom_row = QHBoxLayout(bottom)
        bottom_row.setContentsMargins(0, 0, 0, 0)
        bottom_row.addWidget(self.sample_view, 3)
        bottom_row.addLayout(side, 2)
        self.log_view = CollapsibleLog()
        self.log_view.expanded_changed.connect(self._on_log_expanded)
        # One splitter for plots, sample and log: opening the log takes room from all three, down to
        # their minimum heights, never collapsing a plot; the user can drag the handles.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        for part in (plots, bottom, self.log_view):
            self.splitter.addWidget(part)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _on_log_expanded(self, expanded: bool) -> None:
        """Give the opened log a quarter of the height (the splitter keeps the others' minimums)."""
        if not expanded:
            return
        plots, bottom, _log = self.splitter.sizes()
        total = sum(self.splitter.sizes())
        log_height = max(total // 4, 120)
        rest = max(total - log_height, 1)
        share = plots / max(plots + bottom, 1)
        self.splitter.setSizes([int(rest * share), rest - int(rest * share), log_height])

    def show_run(self, run_dir: Path) -> None:
        """Forget the shown run and show `run_dir`'s history so far."""
        self.monitor = RunMonitor(run_dir)
        self._sample_shown = None
        self.loss_plot.clear_curves()
        self.lr_plot.clear_curves()
        self.sample_view.set_image(None)
        self.refresh()

    def refresh(self) -> None:
        """Read what the run wrote since the last look: new curve points, checkpoints, sample."""
        monitor = self.monitor
        if monitor is None:
            return
        if monitor.poll():
            self.loss_plot.show_series(monitor.losses)
            self.lr_plot.show_series(monitor.learning_rates)
        self.checkpoints.show_rows(monitor.checkpoints())
        sample = monitor.latest_sample()
        if sample is not None and sample != self._sample_shown:
            pixmap = QPixmap(str(sample))
            if not pixmap.isNull():  # a sample still being written is shown on the next refresh
                self.sample_view.set_pixmap(pixmap)
                self._sample_shown = sample

    def last_output_line(self) -> str | None:
        lines = [line for line in self.log_view.contents().splitlines() if line.strip()]
        return lines[-1] if lines else None

    def use_selected_checkpoint(self) -> None:
        path = self.checkpoints.selected_path()
        if self.monitor is None or path is None:
            self.error.emit("No checkpoint selected: train first, or open a run folder with checkpoints")
            return
        self.use_in_live.emit(self.monitor.run_dir, path)

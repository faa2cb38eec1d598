"""The Train tab's run box: run folder, checkpoint to start from, device and process count, the Start /
Stop / Resume buttons and a line saying what the training process is doing (ui.train.process runs it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import cuda_device_count
from ui.widgets.path_row import path_row
from ui.widgets.theme import WARN

DEFAULT_RUNS_ROOT = Path.home() / "fomm-runs"
AUTO_WORKERS = -1  # the workers spin box's "Auto"
START_TIP = (
    "Start a new run: in the run folder when it is empty, else in a new folder (a folder that holds a run "
    "is continued with Resume)"
)


class ProcessControls(QGroupBox):
    """Where and how a run trains, and the buttons that start, stop and resume it (in `action_bar`, which
    the tab places). The tab connects the buttons; `run_dir_chosen` when the user types or browses a run folder. New runs go under
    `runs_root` when no folder is given."""

    run_dir_chosen = Signal(object)  # Path | None

    def __init__(self, runs_root: Path = DEFAULT_RUNS_ROOT, parent: QWidget | None = None):
        super().__init__("Run", parent)
        self.runs_root = runs_root
        self._running = False
        form = QFormLayout(self)
        self.run_edit, row = path_row(self.browse_run_dir, placeholder=f"new folder under {runs_root}")
        self.run_edit.editingFinished.connect(self._on_run_edited)
        form.addRow("Run folder", row)
        self.init_edit, row = path_row(
            self.browse_init_checkpoint, placeholder="random weights, or a checkpoint to fine-tune"
        )
        self.init_edit.setToolTip(
            "A new run starts from this checkpoint's weights (those that fit the preset), "
            "e.g. the default model or an original vox checkpoint"
        )
        form.addRow("Start from", row)
        self._form, self._init_row = form, row
        self._device_rows(form)
        # Start / Stop / Resume and the state line: the tab keeps them in view under its scrolling column
        self.action_bar = QWidget()
        actions = QVBoxLayout(self.action_bar)
        actions.setContentsMargins(4, 4, 4, 0)
        actions.addLayout(self._buttons())
        self.state_label = QLabel("No training running")
        self.state_label.setWordWrap(True)
        actions.addWidget(self.state_label)

    def _device_rows(self, form: QFormLayout) -> None:
        self.device_combo = QComboBox()
        self.device_combo.addItem("CPU", "cpu")
        gpus = cuda_device_count()
        if gpus:
            self.device_combo.addItem(f"CUDA ({gpus} GPU{'s' if gpus > 1 else ''})", "cuda")
            self.device_combo.setCurrentIndex(1)  # as 'auto' elsewhere: the GPU when there is one
        self.processes = QSpinBox()
        self.processes.setRange(1, max(1, gpus))
        self.processes.setToolTip("Several processes (one per GPU) start through torchrun")
        self.workers = QSpinBox()
        self.workers.setRange(AUTO_WORKERS, 32)
        self.workers.setSpecialValueText("Auto")  # shown for AUTO_WORKERS
        self.workers.setValue(AUTO_WORKERS)
        self.workers.setToolTip(
            "DataLoader worker processes preparing the next batches. Auto: up to 4 per process on "
            "CUDA (one core stays with the GPU's process), none on the CPU, where they would take the "
            "model's cores"
        )
        self.device_combo.currentIndexChanged.connect(self._on_device_changed)
        form.addRow("Device", self.device_combo)
        form.addRow("Processes", self.processes)
        form.addRow("Loader workers", self.workers)
        self._on_device_changed()

    def _buttons(self) -> QHBoxLayout:
        self.blocker: str | None = None  # why neither Start nor Resume can run now (None: they can)
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip(START_TIP)
        self.start_button.setObjectName("primary")
        self.start_button.setStyleSheet(
            "QPushButton#primary:disabled { background: #23262b; color: #6b727d; border-color: #2c3037; }"
        )
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip(
            "Continue the run folder's training from its newest checkpoint, with the run's own config"
        )
        row = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.resume_button):
            row.addWidget(button)
        self.set_running(False)
        return row

    def show_for_mode(self, mode: str) -> None:
        """Rows a mode does not use are hidden: its own form says where a distillation or Personalize
        starts from, and a distillation runs in one process that loads its own data."""
        self._form.setRowVisible(self._init_row, mode == "train")
        for widget in (self.processes, self.workers):
            self._form.setRowVisible(widget, mode != "distill")

    # -- the choices ----------------------------------------------------------------------------
    def run_dir(self) -> Path | None:
        text = self.run_edit.text().strip()
        return Path(text) if text else None

    def init_checkpoint(self) -> Path | None:
        text = self.init_edit.text().strip()
        return Path(text) if text else None

    def device(self) -> str:
        return str(self.device_combo.currentData())

    def num_workers(self) -> int | None:
        """The chosen DataLoader workers; None for Auto (the trainer's default for the device)."""
        value = self.workers.value()
        return None if value == AUTO_WORKERS else value

    def browse_run_dir(self) -> None:
        name = QFileDialog.getExistingDirectory(
            self, "Run folder", self.run_edit.text() or str(self.runs_root)
        )
        if name:
            self.run_edit.setText(name)
            self.run_dir_chosen.emit(Path(name))

    def browse_init_checkpoint(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Checkpoint to start from", "", "FOMM checkpoints (*.pth.tar *.pth *.tar)"
        )
        if name:
            self.init_edit.setText(name)

    def _on_run_edited(self) -> None:
        self.run_dir_chosen.emit(self.run_dir())

    def _on_device_changed(self) -> None:
        cuda = self.device_combo.currentData() == "cuda"
        self.processes.setEnabled(cuda)
        if not cuda:
            self.processes.setValue(1)

    # -- the state ------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self._running = running
        self.start_button.setEnabled(not running and self.blocker is None)
        self.resume_button.setEnabled(not running and self.blocker is None)
        self.stop_button.setEnabled(running)
        self.start_button.setToolTip(START_TIP if self.blocker is None else f"Cannot start: {self.blocker}")

    def set_blocker(self, reason: str | None) -> None:
        """Disable Start and Resume with `reason` (None enables them again), shown on the state line."""
        self.blocker = reason
        self.set_running(self._running)
        if reason is not None and not self._running:
            self.set_state(f"Cannot start: {reason}.", WARN)
        elif reason is None and self.state_label.text().startswith("Cannot start: "):
            self.set_state("No training running", "#aab1bb")

    def set_state(self, text: str, color: str) -> None:
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {color};")

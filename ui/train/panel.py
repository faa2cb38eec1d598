"""The Train tab: dataset folder and its report, a preset config with its main numbers editable, device,
Start / Stop / Resume of a training process, and a live view of the run folder (loss and learning-rate
curves, latest sample reconstruction, checkpoints with "Use in Live").

The training is a separate process (see ui.train.process); this tab only reads its run folder. The
dataset report is computed in a worker thread; events.jsonl is tailed by a QTimer.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import (
    PERCEPTUAL_BACKENDS,
    PRESETS,
    FommError,
    LaunchRequest,
    RunMonitor,
    Settings,
    TrainEdits,
    build_command,
    check_edits,
    cuda_device_count,
    default_run_dir,
    process_environment,
    read_edits,
    report_text,
    run_edits,
    scan_dataset_report,
    supervised_command,
    vgg_weights_problem,
    write_run_config,
)
from ui.threads import TaskWorker, WorkerThreads
from ui.train.process import TrainingProcess
from ui.train.views import CheckpointTable, CollapsibleLog, CurvePlot
from ui.widgets.image_view import ImageView
from ui.widgets.path_row import path_row
from ui.widgets.theme import DANGER, OK, WARN

log = logging.getLogger(__name__)

OPEN_CONFIG = "Open config file…"
DEFAULT_RUNS_ROOT = Path.home() / "fomm-runs"
CloseAnswer = str  # "stop", "leave" or "cancel"


class TrainPanel(QWidget):
    """The Train tab. `use_in_live(run_dir, checkpoint)` asks the main window to switch the live model."""

    status_message = Signal(str, str)
    error = Signal(str)
    use_in_live = Signal(object, object)  # run folder, checkpoint path
    report_ready = Signal(str)
    training_finished = Signal(str)  # finished / stopped / failed

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.cache_dir: Path | None = None  # frame cache (None: the trainer's default, shared with training)
        self.runs_root = DEFAULT_RUNS_ROOT
        self.stop_timeout_ms = 60000
        self.close_wait_s = 20.0
        self.sample_every: int | None = None
        self.checkpoint_every: int | None = None
        self.close_question: Callable[[], CloseAnswer] = self._ask_close
        self.config_path: Path | None = None
        self.monitor: RunMonitor | None = None
        self._scan: TaskWorker | None = None
        self._report_shape: tuple[int, ...] | None = None  # frame shape the dataset report was made for
        self._threads = WorkerThreads(self)
        self._sample_shown: Path | None = None
        self.process = TrainingProcess(self)
        self.process.output.connect(self._on_output)
        self.process.finished.connect(self._on_process_finished)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._on_tick)
        self.setAcceptDrops(True)
        self._build()
        self._restore()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        left = QWidget()
        column = QVBoxLayout(left)
        column.addWidget(self._dataset_group())
        column.addWidget(self._config_group())
        column.addWidget(self._run_group())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFixedWidth(440)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(scroll)
        layout.addWidget(self._live_view(), 1)

    def _dataset_group(self) -> QGroupBox:
        group = QGroupBox("Dataset")
        layout = QVBoxLayout(group)
        self.dataset_edit, row = path_row(
            self.browse_dataset, placeholder="folder of videos (or drop one here)"
        )
        self.dataset_edit.editingFinished.connect(lambda: self.set_dataset(Path(self.dataset_edit.text())))
        layout.addLayout(row)
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText(
            "Pick a folder: videos (.mp4 .avi .mov .mkv .webm .gif) or frame folders"
        )
        self.report_view.setFixedHeight(84)
        layout.addWidget(self.report_view)
        return group

    def _config_group(self) -> QGroupBox:
        group = QGroupBox("Model and training")
        form = QFormLayout(group)
        self.preset_combo = QComboBox()
        for preset in PRESETS:
            self.preset_combo.addItem(preset.name, str(preset.path))
        self.preset_combo.addItem(OPEN_CONFIG, "")
        self.preset_combo.activated.connect(self._on_preset_activated)
        form.addRow("Preset", self.preset_combo)
        self.config_label = QLabel()
        self.config_label.setStyleSheet("color: #8a919c;")
        self.config_label.setWordWrap(True)
        form.addRow(self.config_label)
        self.frame_size = QLineEdit()
        self.frame_size.setReadOnly(True)
        form.addRow("Frame size", self.frame_size)
        self._number_rows(form)
        self._loss_rows(form)
        return group

    def _number_rows(self, form: QFormLayout) -> None:
        self.num_kp = _spin(1, 64)
        self.batch_size = _spin(1, 4096)
        self.num_epochs = _spin(1, 100000)
        self.max_steps = _spin(0, 100_000_000)
        self.max_steps.setSpecialValueText("all epochs")
        self.lr = {name: _lr_spin() for name in ("generator", "kp_detector", "discriminator")}
        form.addRow("Keypoints", _pair(self.num_kp, "Batch", self.batch_size))
        form.addRow("Epochs", _pair(self.num_epochs, "Max steps", self.max_steps))
        for name, spin in self.lr.items():
            form.addRow(f"LR {name.replace('_', ' ')}", spin)

    def _loss_rows(self, form: QFormLayout) -> None:
        self.backend_combo = QComboBox()
        self.backend_combo.addItems(list(PERCEPTUAL_BACKENDS))
        self.backend_combo.currentTextChanged.connect(self._check_vgg)
        form.addRow("Perceptual loss", self.backend_combo)
        self.vgg_edit, row = path_row(self.browse_vgg, placeholder="default: torch hub location")
        self.vgg_edit.textChanged.connect(self._check_vgg)
        form.addRow("VGG weights", row)
        self.vgg_warning = QLabel()
        self.vgg_warning.setWordWrap(True)
        self.vgg_warning.setStyleSheet(f"color: {WARN};")
        form.addRow(self.vgg_warning)

    def _run_group(self) -> QGroupBox:
        group = QGroupBox("Run")
        form = QFormLayout(group)
        self.run_edit, row = path_row(self.browse_run_dir, placeholder=f"new folder under {self.runs_root}")
        self.run_edit.editingFinished.connect(lambda: self.show_run(self._run_dir_text()))
        form.addRow("Run folder", row)
        self.init_edit, row = path_row(
            self.browse_init_checkpoint, placeholder="random weights, or a checkpoint to fine-tune"
        )
        self.init_edit.setToolTip(
            "A new run starts from this checkpoint's weights (those that fit the preset), "
            "e.g. the default model or an original vox checkpoint"
        )
        form.addRow("Start from", row)
        self.device_combo = QComboBox()
        self.device_combo.addItem("CPU", "cpu")
        gpus = cuda_device_count()
        if gpus:
            self.device_combo.addItem(f"CUDA ({gpus} GPU{'s' if gpus > 1 else ''})", "cuda")
        self.processes = _spin(1, max(1, gpus))
        self.processes.setToolTip("Several processes (one per GPU) start through torchrun")
        self.device_combo.currentIndexChanged.connect(self._on_device_changed)
        form.addRow("Device", self.device_combo)
        form.addRow("Processes", self.processes)
        self._on_device_changed()
        form.addRow(self._buttons())
        self.state_label = QLabel("No training running")
        self.state_label.setWordWrap(True)
        form.addRow(self.state_label)
        return group

    def _buttons(self) -> QHBoxLayout:
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.setStyleSheet(
            "QPushButton#primary:disabled { background: #23262b; color: #6b727d; border-color: #2c3037; }"
        )
        self.start_button.clicked.connect(self.start_training)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_training)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip(
            "Continue the run folder's training from its newest checkpoint, with the run's own config"
        )
        self.resume_button.clicked.connect(self.resume_training)
        row = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.resume_button):
            row.addWidget(button)
        self._set_running(False)
        return row

    def _live_view(self) -> QWidget:
        self.loss_plot = CurvePlot("Loss terms (log scale)", log_y=True)
        self.lr_plot = CurvePlot("Learning rate", log_y=False)
        plots = QSplitter(Qt.Orientation.Vertical)
        self.lr_plot.setLabel("left", "lr")
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.lr_plot)
        plots.setSizes([300, 140])
        self.sample_view = ImageView("Latest sample: source | driving | keypoints | prediction | occlusion")
        self.sample_view.setMinimumSize(200, 120)
        self.checkpoints = CheckpointTable()
        self.use_button = QPushButton("Use in Live")
        self.use_button.setToolTip(
            "Register the selected checkpoint as a model and switch the Live tab to it"
        )
        self.use_button.clicked.connect(self.use_selected_checkpoint)
        side = QVBoxLayout()
        side.addWidget(self.checkpoints, 1)
        side.addWidget(self.use_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.sample_view, 3)
        bottom.addLayout(side, 2)
        self.log_view = CollapsibleLog()
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(plots, 3)
        layout.addLayout(bottom, 2)
        layout.addWidget(self.log_view)
        return view

    # -- settings -------------------------------------------------------------------------------
    def _restore(self) -> None:
        chosen = self.settings.train_config
        index = self.preset_combo.findText(chosen) if chosen and chosen != OPEN_CONFIG else -1
        if index < 0 and chosen and Path(chosen).is_file():
            self.load_config(Path(chosen))
        else:
            index = max(index, 0)
            self.load_config(Path(self.preset_combo.itemData(index)), preset_index=index)
        if self.settings.train_run_dir:
            self.run_edit.setText(self.settings.train_run_dir)
            self.show_run(Path(self.settings.train_run_dir))
        if self.settings.train_dataset and Path(self.settings.train_dataset).is_dir():
            self.set_dataset(Path(self.settings.train_dataset))

    # -- dataset --------------------------------------------------------------------------------
    def browse_dataset(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Dataset folder", self.dataset_edit.text())
        if name:
            self.set_dataset(Path(name))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if _dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        folder = _dropped_folder(event)
        if folder is not None:
            self.set_dataset(folder)
            event.acceptProposedAction()

    def set_dataset(self, folder: Path) -> None:
        """Remember the folder and compute its report in a worker thread (a previous scan is cancelled)."""
        if not str(folder).strip() or str(folder) == ".":
            return
        self.dataset_edit.setText(str(folder))
        self.settings.train_dataset = str(folder)
        if self._scan is not None:
            self._scan.cancel.set()
        frame_shape, cache_dir = tuple(self._frame_shape()), self.cache_dir
        self._report_shape = frame_shape

        def scan(progress: Callable[[int, int], None], cancel: threading.Event) -> str:
            return report_text(scan_dataset_report(folder, frame_shape, cache_dir, progress, cancel))

        worker = TaskWorker(scan)
        # bound methods of this widget: queued to the GUI thread (a lambda would run in the worker's thread)
        worker.progress.connect(self._on_scan_progress)
        worker.finished.connect(self._on_scan_done)
        worker.failed.connect(self._on_scan_failed)
        worker.stopped.connect(self._threads.reap)
        self._scan = worker
        self._threads.start(worker)
        self.report_view.setPlainText(f"Scanning {folder}…")

    def _on_scan_progress(self, done: int, total: int) -> None:
        if self.sender() is self._scan and done < total:
            self.report_view.setPlainText(f"Scanning {self.dataset_edit.text()}… video {done + 1} of {total}")

    def _on_scan_done(self, text: str) -> None:
        if self.sender() is self._scan:
            self._scan = None
            self.report_view.setPlainText(text)
            self.report_ready.emit(text)

    def _on_scan_failed(self, text: str) -> None:
        worker = self.sender()
        if worker is self._scan and isinstance(worker, TaskWorker) and not worker.cancel.is_set():
            self._scan = None
            self.report_view.setPlainText(f"Cannot use this folder: {text}")
            self.report_ready.emit(text)

    # -- config ---------------------------------------------------------------------------------
    def _on_preset_activated(self, index: int) -> None:
        if self.preset_combo.itemText(index) == OPEN_CONFIG:
            name, _ = QFileDialog.getOpenFileName(self, "Open FOMM config", "", "Config (*.yaml *.yml)")
            if name:
                self.load_config(Path(name))
            else:
                self._select_current_preset()
            return
        self.load_config(Path(self.preset_combo.itemData(index)), preset_index=index)

    def _select_current_preset(self) -> None:
        """Select the loaded config in the combo; a file that is no preset gets its own entry."""
        current = str(self.config_path) if self.config_path else ""
        paths = [self.preset_combo.itemData(i) for i in range(self.preset_combo.count())]
        if current and current not in paths:
            custom = len(PRESETS)
            if self.preset_combo.count() > custom + 1:  # replace the previous custom entry
                self.preset_combo.removeItem(custom)
            self.preset_combo.insertItem(custom, Path(current).name, current)
            paths = [self.preset_combo.itemData(i) for i in range(self.preset_combo.count())]
        self.preset_combo.setCurrentIndex(paths.index(current) if current in paths else 0)

    def load_config(self, path: Path, preset_index: int | None = None) -> bool:
        """Show a config's editable numbers; an unreadable file is reported and the old choice kept."""
        try:
            edits = read_edits(path)
        except FommError as exc:
            self.error.emit(str(exc))
            self._select_current_preset()
            return False
        self.config_path = path
        is_preset = preset_index is not None and preset_index < len(PRESETS)
        self.settings.train_config = self.preset_combo.itemText(preset_index or 0) if is_preset else str(path)
        self._select_current_preset()
        self.config_label.setText(str(path))
        self.show_edits(edits)
        dataset = self.dataset_edit.text().strip()
        if dataset and self._report_shape is not None and tuple(edits.frame_shape) != self._report_shape:
            self.set_dataset(Path(dataset))  # the report (and frame cache) depend on the frame size
        return True

    def show_edits(self, edits: TrainEdits) -> None:
        self.frame_size.setText(" x ".join(str(v) for v in edits.frame_shape))
        self.num_kp.setValue(edits.num_kp)
        self.batch_size.setValue(edits.batch_size)
        self.num_epochs.setValue(edits.num_epochs)
        for name, spin in self.lr.items():
            spin.setValue(getattr(edits, f"lr_{name}"))
        self.backend_combo.setCurrentText(edits.perceptual_backend)
        self.vgg_edit.setText(edits.vgg19_weights or "")
        self._check_vgg()

    def edits(self) -> TrainEdits:
        """The numbers as edited in the spin boxes."""
        shape = tuple(int(v) for v in self.frame_size.text().split(" x ") if v.strip().isdigit())
        return TrainEdits(
            num_kp=self.num_kp.value(),
            batch_size=self.batch_size.value(),
            num_epochs=self.num_epochs.value(),
            lr_generator=self.lr["generator"].value(),
            lr_kp_detector=self.lr["kp_detector"].value(),
            lr_discriminator=self.lr["discriminator"].value(),
            perceptual_backend=self.backend_combo.currentText(),
            vgg19_weights=self.vgg_edit.text().strip() or None,
            frame_shape=shape,
        )

    def _frame_shape(self) -> tuple[int, ...]:
        return self.edits().frame_shape or (256, 256, 3)

    def browse_vgg(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "VGG-19 weights", "", "PyTorch weights (*.pth *.pt)")
        if name:
            self.vgg_edit.setText(name)

    def _check_vgg(self) -> None:
        problem = vgg_weights_problem(self.backend_combo.currentText(), self.vgg_edit.text().strip() or None)
        self.vgg_warning.setText(problem or "")
        self.vgg_warning.setVisible(problem is not None)

    # -- run folder and device ------------------------------------------------------------------
    def browse_run_dir(self) -> None:
        name = QFileDialog.getExistingDirectory(
            self, "Run folder", self.run_edit.text() or str(self.runs_root)
        )
        if name:
            self.run_edit.setText(name)
            self.show_run(Path(name))

    def browse_init_checkpoint(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Checkpoint to start from", "", "FOMM checkpoints (*.pth.tar *.pth *.tar)"
        )
        if name:
            self.init_edit.setText(name)

    def _run_dir_text(self) -> Path | None:
        text = self.run_edit.text().strip()
        return Path(text) if text else None

    def _on_device_changed(self) -> None:
        cuda = self.device_combo.currentData() == "cuda"
        self.processes.setEnabled(cuda)
        if not cuda:
            self.processes.setValue(1)

    # -- start / stop / resume ------------------------------------------------------------------
    def start_training(self) -> bool:
        """A new run: write the edited config into the run folder, then start the trainer."""
        if self.process.running:
            return False
        run_dir = self._run_dir_text() or default_run_dir(self.runs_root)
        try:
            edits = self.edits()
            check_edits(edits)
            problem = vgg_weights_problem(edits.perceptual_backend, edits.vgg19_weights)
            if problem:
                raise FommError(problem)
            request = self._request(run_dir, resume=False, config=self.config_path)
            build_command(request, cuda_device_count())  # validate before writing anything
            run_dir.mkdir(parents=True, exist_ok=True)
            written = write_run_config(self.config_path or Path(), edits, run_dir)
            return self._launch(dataclasses.replace(request, config_path=written))
        except (FommError, OSError) as exc:
            self.error.emit(f"Cannot start training: {exc}")
            return False

    def resume_training(self) -> bool:
        """Continue the run folder's training (its own config) from its newest checkpoint."""
        if self.process.running:
            return False
        run_dir = self._run_dir_text()
        try:
            if run_dir is None:
                raise FommError("choose the run folder to resume")
            launched = self._launch(self._request(run_dir, resume=True, config=None))
            self._show_run_config(run_dir)
            return launched
        except (FommError, OSError) as exc:
            self.error.emit(f"Cannot resume training: {exc}")
            return False

    def _show_run_config(self, run_dir: Path) -> None:
        """A resumed run trains with its own config: show those numbers, not edits it will not use."""
        try:
            edits = run_edits(run_dir)
        except FommError as exc:
            log.warning("cannot show the config of %s: %s", run_dir, exc)
            return
        self.show_edits(edits)
        self.config_label.setText(f"Resumed with the run's own config: {run_dir / 'config.yaml'}")

    def _request(self, run_dir: Path, resume: bool, config: Path | None) -> LaunchRequest:
        data = self.dataset_edit.text().strip()
        if not data:
            raise FommError("choose a dataset folder first")
        return LaunchRequest(
            data_dir=Path(data),
            run_dir=run_dir,
            config_path=config,
            resume=resume,
            init_from=Path(init) if (init := self.init_edit.text().strip()) and not resume else None,
            device=str(self.device_combo.currentData()),
            processes=self.processes.value(),
            max_steps=self.max_steps.value() or None,
            cache_dir=self.cache_dir,
            sample_every=self.sample_every,
            checkpoint_every=self.checkpoint_every,
        )

    def _launch(self, request: LaunchRequest) -> bool:
        command = build_command(request, cuda_device_count())
        run_dir = request.run_dir
        self.run_edit.setText(str(run_dir))
        self.settings.train_run_dir = str(run_dir)
        self.show_run(run_dir, attach=False)
        if self.monitor is not None:
            self.monitor.forget_outcome()
        self.log_view.append(f"$ {' '.join(command)}\n")
        self.process.start(supervised_command(command, run_dir), run_dir, process_environment(os.environ))
        self._set_running(True)
        verb = "Resuming" if request.resume else "Starting"
        self._set_state(f"{verb} training in {run_dir}…", OK)
        self.status_message.emit(f"{verb} training: {run_dir}", "info")
        return True

    def stop_training(self) -> None:
        """STOP file now (the trainer saves a checkpoint and exits); forced after `stop_timeout_ms`."""
        if self.process.running:
            self.process.request_stop(self.stop_timeout_ms)
            self.stop_button.setEnabled(False)
            self._set_state("Stopping: saving a checkpoint…", WARN)

    def is_running(self) -> bool:
        return self.process.running

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if running:
            self.timer.start()

    def _set_state(self, text: str, color: str) -> None:
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {color};")

    # -- live view ------------------------------------------------------------------------------
    def show_run(self, run_dir: Path | None, attach: bool = True) -> None:
        """Show a run folder's history; follow it live if an earlier session left it training."""
        if run_dir is None or self.process.running:
            return
        self.settings.train_run_dir = str(run_dir)
        self.monitor = RunMonitor(run_dir)
        self._sample_shown = None
        self.loss_plot.clear_curves()
        self.lr_plot.clear_curves()
        self.sample_view.set_image(None)
        self._refresh_view()
        if attach and self.process.attach(run_dir):
            self._set_running(True)
            self._set_state(f"Following the training running in {run_dir}", OK)

    def _on_tick(self) -> None:
        self.process.poll()
        self._refresh_view()
        if not self.process.running:
            self.timer.stop()

    def _refresh_view(self) -> None:
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
            if not pixmap.isNull():  # a sample still being written is shown on the next tick
                self.sample_view.set_pixmap(pixmap)
                self._sample_shown = sample
        if self.process.running and monitor.last_step is not None:
            total = f" / {monitor.max_steps}" if monitor.max_steps else ""
            self._set_state(f"Training: step {monitor.last_step}{total}, epoch {monitor.last_epoch}", OK)

    def _on_output(self, text: str) -> None:
        self.log_view.append(text)

    def _on_process_finished(self, code: int | None) -> None:
        self._refresh_view()
        self._set_running(False)
        monitor = self.monitor
        outcome = monitor.outcome if monitor is not None else None
        step = monitor.last_step if monitor is not None else None
        if code == 0 and outcome in ("finished", "stopped"):
            text = f"Training {outcome} at step {step}."
            self._set_state(text, OK)
            self.status_message.emit(text, "info")
        else:
            outcome = "failed"
            self._show_failure(code, monitor.error_message if monitor is not None else None)
        self.training_finished.emit(outcome)

    def _show_failure(self, code: int | None, message: str | None) -> None:
        how = f"exit code {code}" if code is not None else "the process was killed"
        lines = [line for line in self.log_view.contents().splitlines() if line.strip()]
        detail = message or (lines[-1] if lines else "no output")
        text = f"Training failed ({how}): {detail}"
        self._set_state(text, DANGER)
        self.log_view.set_expanded(True)
        self.error.emit(text)

    # -- use in live ----------------------------------------------------------------------------
    def use_selected_checkpoint(self) -> None:
        path = self.checkpoints.selected_path()
        if self.monitor is None or path is None:
            self.error.emit("No checkpoint selected: train first, or open a run folder with checkpoints")
            return
        self.use_in_live.emit(self.monitor.run_dir, path)

    # -- lifetime -------------------------------------------------------------------------------
    def _ask_close(self) -> CloseAnswer:
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running", "", parent=self)
        box.setText(
            "A training is running. Stop it (a checkpoint is saved) or leave it running in the background?"
        )
        stop = box.addButton("Stop training", QMessageBox.ButtonRole.DestructiveRole)
        leave = box.addButton("Leave it running", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "stop" if clicked is stop else "leave" if clicked is leave else "cancel"

    def confirm_close(self) -> bool:
        """Before the window closes: False to keep it open. Stopping waits up to `close_wait_s`."""
        if not self.process.running:
            return True
        answer = self.close_question()
        if answer == "cancel":
            return False
        if answer == "stop":
            self.process.request_stop(self.stop_timeout_ms)
            if not self.process.wait_finished(self.close_wait_s):
                log.warning(
                    "training still saving after %.0f s; it stops on its own (STOP file)", self.close_wait_s
                )
        return True

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Stop polling and join the scan thread (the training process itself is detached)."""
        self.timer.stop()
        return self._threads.join(timeout_ms)


def _spin(low: int, high: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    return spin


def _pair(first: QWidget, label: str, second: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(first, 1)
    row.addWidget(QLabel(label))
    row.addWidget(second, 1)
    return row


def _lr_spin() -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(6)
    spin.setRange(0.0, 0.1)
    spin.setSingleStep(1e-5)
    return spin


def _dropped_folder(event: QDragEnterEvent | QDropEvent) -> Path | None:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        path = Path(url.toLocalFile())
        if url.isLocalFile() and path.is_dir():
            return path
    return None

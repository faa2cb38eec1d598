"""The Train tab: dataset folder and its report, a preset config with its main numbers editable, device,
Start / Stop / Resume of a training process, and a live view of the run folder (loss and learning-rate
curves, latest sample reconstruction, checkpoints with "Use in Live"). Its modes (ui.train.modes) start
a training, a distillation into a live model, or a Personalize fine-tuning of the live model.

The panel composes one part per job (ui.train.dataset_box, config_form, process_controls, run_view) and
ties them to the training process (ui.train.process), which is separate: this tab only reads its run
folder. The dataset report is computed in a worker thread; events.jsonl is tailed by a QTimer.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from fomm_studio.api import (
    DistillRequest,
    FommError,
    LaunchRequest,
    ModelEntry,
    Settings,
    TrainEdits,
    build_command,
    build_distill_command,
    cuda_device_count,
    default_run_dir,
    holds_run,
    process_environment,
    supervised_command,
    write_run_config,
)
from ui.train.config_form import ConfigForm
from ui.train.dataset_box import DatasetBox, dropped_folder
from ui.train.distill_form import DistillForm
from ui.train.modes import ModeChoice, mode_request, show_mode
from ui.train.pace import StepPace
from ui.train.personalize_box import PersonalizeBox
from ui.train.process import TrainingProcess
from ui.train.process_controls import ProcessControls
from ui.train.run_view import RunView
from ui.widgets.columns import fit_column
from ui.widgets.durations import clock
from ui.widgets.theme import DANGER, OK, WARN

log = logging.getLogger(__name__)

CloseAnswer = str  # "stop", "leave" or "cancel"
WHAT = {"train": "training", "distill": "distillation", "personalize": "Personalize"}


class TrainPanel(QWidget):
    """The Train tab. `use_in_live(run_dir, checkpoint)` asks the main window to switch the live model;
    `model_provider` returns the live model (the one Personalize fine-tunes)."""

    status_message = Signal(str, str)
    error = Signal(str)
    use_in_live = Signal(object, object)  # run folder, checkpoint path
    report_ready = Signal(str)
    training_finished = Signal(str)  # finished / stopped / failed

    def __init__(
        self,
        settings: Settings,
        model_provider: Callable[[], ModelEntry] | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.settings = settings
        self.model_provider = model_provider
        self.cache_dir: Path | None = None  # frame cache (None: the trainer's default, shared with training)
        self.stop_timeout_ms = 60000
        self.close_wait_s = 20.0
        self.sample_every: int | None = None
        self.checkpoint_every: int | None = None
        self.close_question: Callable[[], CloseAnswer] = self._ask_close
        self.pace = StepPace()
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
        self.dataset_box = DatasetBox()
        self.dataset_box.folder_chosen.connect(self.set_dataset)
        self.dataset_box.report_ready.connect(self.report_ready)
        self.dataset_box.usable_changed.connect(self._on_dataset_usable)
        self.config_form = ConfigForm()
        self.config_form.config_loaded.connect(self._on_config_loaded)
        self.config_form.error.connect(self.error)
        self.controls = ProcessControls()
        self.controls.run_dir_chosen.connect(self.show_run)
        self.controls.start_button.clicked.connect(self.start_training)
        self.controls.stop_button.clicked.connect(self.stop_training)
        self.controls.resume_button.clicked.connect(self.resume_training)
        self.run_view = RunView()
        self.run_view.use_in_live.connect(self.use_in_live)
        self.run_view.error.connect(self.error)
        self.mode_choice = ModeChoice(self.settings.train_mode)
        self.mode_choice.mode_changed.connect(self._on_mode_changed)
        self.distill_form = DistillForm()
        self.distill_form.error.connect(self.error)
        self.personalize_box = PersonalizeBox(self.settings, self.model_provider)
        left = QWidget()
        column = QVBoxLayout(left)
        column.addWidget(self.mode_choice)
        for part in (
            self.personalize_box,
            self.dataset_box,
            self.distill_form,
            self.config_form,
            self.controls,
        ):
            column.addWidget(part)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        fit_column(scroll, 426)
        self.controls.action_bar.setFixedWidth(scroll.width())
        side = QVBoxLayout()
        side.addWidget(scroll, 1)
        side.addWidget(self.controls.action_bar)  # always in view, however short the window
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(side)
        layout.addWidget(self.run_view, 1)
        show_mode(self, self.mode_choice.mode())

    def _on_mode_changed(self, mode: str) -> None:
        self.settings.train_mode = mode
        show_mode(self, mode)

    def _restore(self) -> None:
        self.config_form.restore(self.settings.train_config)
        if self.settings.train_run_dir:
            self.controls.run_edit.setText(self.settings.train_run_dir)
            self.show_run(Path(self.settings.train_run_dir))
        if self.settings.train_dataset and Path(self.settings.train_dataset).is_dir():
            self.set_dataset(Path(self.settings.train_dataset))

    # -- dataset and config ---------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        folder = dropped_folder(event)
        if folder is not None:
            self.set_dataset(folder)
            event.acceptProposedAction()

    def set_dataset(self, folder: Path) -> None:
        """Remember the folder and compute its report in a worker thread (a previous scan is cancelled)."""
        if not str(folder).strip() or str(folder) == ".":
            return
        self.settings.train_dataset = str(folder)
        self.dataset_box.scan(folder, tuple(self.config_form.frame_shape()), self.cache_dir)

    def _on_dataset_usable(self, problem: str | None) -> None:
        """The dataset report says whether training can start on the folder: Start and Resume follow."""
        self.controls.set_blocker(None if self.mode_choice.mode() == "personalize" else problem)

    def load_config(self, path: Path) -> bool:
        """Show a config's editable numbers; an unreadable file is reported and the old choice kept."""
        return self.config_form.load_config(path)

    def _on_config_loaded(self, choice: str, edits: TrainEdits) -> None:
        self.settings.train_config = choice
        folder, shape = self.dataset_box.folder(), self.dataset_box.report_shape
        if folder is not None and shape is not None and tuple(edits.frame_shape) != shape:
            self.set_dataset(folder)  # the report (and frame cache) depend on the frame size

    # -- start / stop / resume ------------------------------------------------------------------
    def start_training(self) -> bool:
        """A new run in the chosen mode (see ui.train.modes); nothing is written when it is refused."""
        if self.process.running:
            return False
        run_dir = self._new_run_dir()
        mode = self.mode_choice.mode()
        try:
            if mode != "train":
                return self._launch(mode_request(self, mode, run_dir, resume=False))
            return self._launch(self._new_training(run_dir))
        except (FommError, OSError) as exc:
            self.error.emit(f"Cannot start {WHAT[mode]}: {exc}")
            return False

    def _new_training(self, run_dir: Path) -> LaunchRequest:
        """Train mode: the edited config written into the run folder (once the request passed its checks)."""
        config = self.config_form.config_path
        edits = self.config_form.checked_edits()
        request = self._request(run_dir, resume=False, config=config)
        build_command(request, cuda_device_count())  # validate before writing anything
        run_dir.mkdir(parents=True, exist_ok=True)
        written = write_run_config(config or Path(), edits, run_dir)
        return dataclasses.replace(request, config_path=written)

    def _new_run_dir(self) -> Path:
        """The run folder field, unless it is empty or already holds a run (finished, stopped or failed
        after its first step): then a fresh folder under the runs root, so Start always starts."""
        chosen = self.controls.run_dir()
        if chosen is not None and not (chosen.is_dir() and holds_run(chosen)):
            return chosen
        return default_run_dir(self.controls.runs_root)

    def resume_training(self) -> bool:
        """Continue the run folder's training (its own config) from its newest checkpoint."""
        if self.process.running:
            return False
        run_dir = self.controls.run_dir()
        mode = self.mode_choice.mode()
        try:
            if run_dir is None:
                raise FommError("choose the run folder to resume")
            if mode != "train":
                return self._launch(mode_request(self, mode, run_dir, resume=True))
            launched = self._launch(self._request(run_dir, resume=True, config=None))
            self.config_form.show_run_config(run_dir)
            return launched
        except (FommError, OSError) as exc:
            self.error.emit(f"Cannot resume {WHAT[mode]}: {exc}")
            return False

    def _request(self, run_dir: Path, resume: bool, config: Path | None) -> LaunchRequest:
        data = self.dataset_box.folder()
        if data is None:
            raise FommError("choose a dataset folder first")
        return LaunchRequest(
            data_dir=data,
            run_dir=run_dir,
            config_path=config,
            resume=resume,
            init_from=None if resume else self.controls.init_checkpoint(),
            device=self.controls.device(),
            processes=self.controls.processes.value(),
            max_steps=self.config_form.max_steps.value() or None,
            cache_dir=self.cache_dir,
            sample_every=self.sample_every,
            checkpoint_every=self.checkpoint_every,
            num_workers=self.controls.num_workers(),
        )

    def _launch(self, request: LaunchRequest | DistillRequest) -> bool:
        if isinstance(request, DistillRequest):
            command = build_distill_command(request, cuda_device_count())
        else:
            command = build_command(request, cuda_device_count())
        run_dir = request.run_dir
        self.controls.run_edit.setText(str(run_dir))
        self.settings.train_run_dir = str(run_dir)
        self.show_run(run_dir, attach=False)
        if self.run_view.monitor is not None:
            self.run_view.monitor.forget_outcome()
        self.run_view.log_view.append(f"$ {' '.join(command)}\n")
        self.process.start(supervised_command(command, run_dir), run_dir, process_environment(os.environ))
        self.pace.reset()
        self._set_running(True)
        verb = "Resuming" if request.resume else "Starting"
        what = WHAT[self.mode_choice.mode()]
        self.controls.set_state(f"{verb} {what} in {run_dir}…", OK)
        self.status_message.emit(f"{verb} {what}: {run_dir}", "info")
        return True

    def stop_training(self) -> None:
        """STOP file now (the trainer saves a checkpoint and exits); forced after `stop_timeout_ms`."""
        if self.process.running:
            self.process.request_stop(self.stop_timeout_ms)
            self.controls.stop_button.setEnabled(False)
            self.controls.set_state("Stopping: saving a checkpoint…", WARN)

    def is_running(self) -> bool:
        return self.process.running

    def _set_running(self, running: bool) -> None:
        self.controls.set_running(running)
        if running:
            self.timer.start()

    # -- following the run ----------------------------------------------------------------------
    def show_run(self, run_dir: Path | None, attach: bool = True) -> None:
        """Show a run folder's history; follow it live if an earlier session left it training."""
        if run_dir is None or self.process.running:
            return
        self.settings.train_run_dir = str(run_dir)
        self.run_view.show_run(run_dir)
        if attach and self.process.attach(run_dir):
            self.pace.reset()
            self._set_running(True)
            self.controls.set_state(f"Following the training running in {run_dir}", OK)
        elif attach and self.controls.blocker is None and run_dir.is_dir() and holds_run(run_dir):
            self.controls.set_state(
                "This folder holds a run: Resume continues it; Start begins a new run in a new folder.",
                "#aab1bb",
            )

    def _on_tick(self) -> None:
        self.process.poll()
        self._refresh_view()
        if not self.process.running:
            self.timer.stop()

    def _refresh_view(self) -> None:
        self.run_view.refresh()
        monitor = self.run_view.monitor
        if self.process.running and monitor is not None and monitor.last_step is not None:
            self.pace.observe(time.monotonic(), monitor.last_step)
            total = f" / {monitor.max_steps}" if monitor.max_steps else ""
            epoch = f", epoch {monitor.last_epoch}" if monitor.last_epoch is not None else ""
            text = f"Training: step {monitor.last_step}{total}{epoch}"
            self.controls.set_state(text + self._pace_text(monitor.last_step, monitor.max_steps), OK)

    def _pace_text(self, step: int, max_steps: int | None) -> str:
        """' · 1.8 s/step · about 26:24 left' once two steps were seen ('' before)."""
        pace = self.pace.seconds_per_step()
        if pace is None:
            return ""
        text = f" · {pace:.2f} s/step" if pace < 10 else f" · {pace:.0f} s/step"
        left = self.pace.seconds_left(step, max_steps)
        return text + (f" · about {clock(left)} left" if left is not None else "")

    def _on_output(self, text: str) -> None:
        self.run_view.log_view.append(text)

    def _on_process_finished(self, code: int | None) -> None:
        self._refresh_view()
        self._set_running(False)
        monitor = self.run_view.monitor
        outcome = monitor.outcome if monitor is not None else None
        step = monitor.last_step if monitor is not None else None
        if code == 0 and outcome in ("finished", "stopped"):
            text = f"Training {outcome} at step {step}."
            self.controls.set_state(
                f"{text} Start begins a new run in a new folder; Resume continues this one.", OK
            )
            self.status_message.emit(text, "info")
        else:
            outcome = "failed"
            self._show_failure(code, monitor.error_message if monitor is not None else None)
        self.training_finished.emit(outcome)

    def _show_failure(self, code: int | None, message: str | None) -> None:
        how = f"exit code {code}" if code is not None else "the process was killed"
        detail = message or self.run_view.last_output_line() or "no output"
        text = f"Training failed ({how}): {detail}"
        self.controls.set_state(text, DANGER)
        self.run_view.log_view.set_expanded(True)
        self.error.emit(text)

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
        detection_done = self.distill_form.shutdown(timeout_ms)
        return self.dataset_box.shutdown(timeout_ms) and detection_done

"""The Animate tab: source image + driving video -> video file (like `fomm animate`), with progress,
cancel, a preview of the result, and a frame scrubber that inspects any driving frame with overlays
(ui.animate.inspector).

The job, the preview decoding and the inspection each run in a worker in its own QThread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    AnimationJob,
    MissingWeightsError,
    ModelEntry,
    MotionOptions,
    Settings,
    VideoReader,
    check_landmark_weights,
    default_animation_path,
    output_dir,
)
from ui.animate.inspector import InspectView
from ui.live.controls import ADAPT_SCALE_TIP
from ui.threads import Progress, TaskFn, TaskWorker, WorkerThreads
from ui.widgets.avatar_check import AvatarCheckView
from ui.widgets.device_combo import DeviceCombo
from ui.widgets.durations import clock
from ui.widgets.image_view import ImageView
from ui.widgets.path_row import path_row


class AnimatePanel(QWidget):
    """The Animate tab."""

    status_message = Signal(str, str)
    error = Signal(str)
    job_finished = Signal(object)  # Path

    def __init__(
        self,
        settings: Settings,
        model_provider: Callable[[], ModelEntry],
        model_problem: Callable[[str], str | None] = lambda _model_id: None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.settings = settings
        self.model_provider = model_provider
        self.model_problem = model_problem
        self._threads = WorkerThreads(self)
        self._job: TaskWorker | None = None
        self._job_started = 0.0  # time.monotonic() at the job's start
        self._preview_frames: list[np.ndarray] = []
        self._preview_index = 0
        self.preview_timer = QTimer(self)
        self.preview_timer.timeout.connect(self._on_preview_tick)
        self._build()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self._files_group())
        left.addWidget(self._options_group())
        left.addWidget(self._run_group())
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setFixedWidth(360)
        right = QVBoxLayout()
        right.addWidget(self._preview_group(), 1)
        self.inspect = InspectView(self._inspect_inputs, self._motion)
        self.inspect.status_message.connect(self.status_message)
        self.inspect.error.connect(self.error)
        right.addWidget(self.inspect, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)

    def _files_group(self) -> QGroupBox:
        group = QGroupBox("Input and output")
        form = QFormLayout(group)
        self.source_edit, row = path_row(self._browse_source, self.settings.animate_source)
        form.addRow("Source image", row)
        self.source_check = AvatarCheckView(lambda: output_dir(self.settings) / "avatars")  # preflight
        self.source_check.crop_saved.connect(lambda path: self.source_edit.setText(str(path)))
        self.source_edit.textChanged.connect(self.source_check.check_soon)
        self.source_check.check_soon(self.source_edit.text())
        form.addRow("", self.source_check)
        self.driving_edit, row = path_row(self._browse_driving, self.settings.animate_driving)
        form.addRow("Driving video", row)
        self.output_edit, row = path_row(self._browse_output, self.settings.animate_output)
        form.addRow("Output video", row)
        for edit in (self.source_edit, self.driving_edit):
            edit.textChanged.connect(self._show_default_output)
        self._show_default_output()
        return group

    def _default_output(self) -> Path:
        """Where an empty Output field writes: the output folder, never next to the driving video (the
        sample clip lives in the app's own install)."""
        source = Path(self.source_edit.text().strip() or "avatar")
        driving = Path(self.driving_edit.text().strip() or "driving")
        return default_animation_path(self.settings, source, driving)

    def _show_default_output(self) -> None:
        default = self._default_output()
        self.output_edit.setPlaceholderText(f"default: {default}")
        self.output_edit.setToolTip(f"Leave empty to write {default}")

    def _options_group(self) -> QGroupBox:
        group = QGroupBox("Options (as fomm animate)")
        form = QFormLayout(group)
        self.relative = QRadioButton("Relative")
        self.absolute = QRadioButton("Absolute")
        self.relative.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.relative)
        row.addWidget(self.absolute)
        form.addRow("Motion", row)
        self.adapt_scale = QCheckBox("Adapt movement scale")
        self.adapt_scale.setToolTip(ADAPT_SCALE_TIP)
        self.find_best_frame = QCheckBox("Find best frame (face landmarks)")
        self.find_best_frame.setChecked(self.settings.animate_find_best_frame)
        self._check_landmark_weights()
        self.side_by_side = QCheckBox("Side by side (source | driving | result)")
        self.device = DeviceCombo(self.settings.animate_device)
        for check in (self.adapt_scale, self.find_best_frame, self.side_by_side):
            form.addRow(check)
        form.addRow("Device", self.device)
        for button in (self.relative, self.adapt_scale):
            button.toggled.connect(self._on_motion_toggled)
        return group

    def _run_group(self) -> QGroupBox:
        group = QGroupBox("Run")
        self.run_button = QPushButton("Animate")
        self.run_button.setObjectName("primary")
        self.run_button.clicked.connect(self.start_job)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_job)
        self.progress = QProgressBar()
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        row = QHBoxLayout()
        row.addWidget(self.run_button, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(group)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        return group

    def _preview_group(self) -> QGroupBox:
        group = QGroupBox("Result preview")
        self.preview_view = ImageView("Result")
        layout = QVBoxLayout(group)
        layout.addWidget(self.preview_view)
        return group

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """The output folder may have changed in the Live tab, the landmark weights been downloaded:
        show what holds now."""
        self._show_default_output()
        self._check_landmark_weights()
        super().showEvent(event)

    def _check_landmark_weights(self) -> None:
        """ "Find best frame" needs face-alignment's weight files: without them it is off, and says why."""
        try:
            check_landmark_weights()  # looks for two files, reads nothing
        except MissingWeightsError as exc:
            self.find_best_frame.setChecked(False)
            self.find_best_frame.setEnabled(False)
            self.find_best_frame.setToolTip(f"Unavailable: {exc}")
            return
        self.find_best_frame.setEnabled(True)
        self.find_best_frame.setToolTip(
            "Start from the driving frame whose face pose is closest to the source image's (slower)"
        )

    # -- file dialogs ---------------------------------------------------------------------------
    def _browse_source(self) -> None:
        pattern = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "Source image", "", f"Images ({pattern})")
        if name:
            self.source_edit.setText(name)

    def _browse_driving(self) -> None:
        pattern = " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "Driving video", "", f"Videos ({pattern})")
        if name:
            self.driving_edit.setText(name)

    def _browse_output(self) -> None:
        start = self.output_edit.text().strip() or str(self._default_output())
        name, _ = QFileDialog.getSaveFileName(self, "Output video", start, "MP4 video (*.mp4)")
        if name:
            self.output_edit.setText(name)

    # -- the job --------------------------------------------------------------------------------
    def _inputs(self) -> tuple[ModelEntry, Path, Path, Path] | None:
        entry = self.model_provider()
        source, driving = Path(self.source_edit.text().strip()), Path(self.driving_edit.text().strip())
        output_text = self.output_edit.text().strip()
        problems = []
        model_problem = self.model_problem(entry.model_id)
        if model_problem is not None:
            problems.append(f"model '{entry.name}' failed: {model_problem}")
        elif not entry.is_ready:
            problems.append(f"model '{entry.name}': {entry.status}")
        if not source.is_file():
            problems.append(f"source image not found: {source}")
        if not driving.is_file():
            problems.append(f"driving video not found: {driving}")
        if problems:
            self.error.emit("Cannot animate: " + "; ".join(problems))
            return None
        s = self.settings
        s.animate_source, s.animate_driving, s.animate_output = str(source), str(driving), output_text
        s.animate_find_best_frame, s.animate_device = (
            self.find_best_frame.isChecked(),
            self.device.value(),
        )
        output = Path(output_text) if output_text else default_animation_path(self.settings, source, driving)
        return entry, source, driving, output

    def start_job(self) -> None:
        inputs = self._inputs()
        if inputs is None or self._job is not None:
            return
        entry, source, driving, output = inputs
        relative, adapt, best = (
            self.relative.isChecked(),
            self.adapt_scale.isChecked(),
            self.find_best_frame.isChecked(),
        )
        device, sbs = self.device.value(), self.side_by_side.isChecked()

        animation = AnimationJob(
            config_path=entry.config_path,
            checkpoint_path=entry.checkpoint_path,
            source_path=source,
            driving_path=driving,
            output_path=output,
            relative=relative,
            adapt_scale=adapt,
            find_best_frame=best,
            device=device,
            side_by_side=sbs,
        )

        def job(progress: Progress, cancel: threading.Event) -> Path:
            return Path(animation.run(progress, cancel))

        self.start_task(job)

    def start_task(self, fn: TaskFn) -> TaskWorker:
        worker = TaskWorker(fn)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_job_finished)
        worker.failed.connect(self._on_job_failed)
        worker.stopped.connect(self._on_job_stopped)
        self._job = worker
        self._threads.start(worker)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._job_started = time.monotonic()
        self._show_progress_state("starting…")
        self.status_message.emit("Animating…", "info")
        return worker

    def cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel.set()
            self.status_message.emit("Cancelling…", "info")

    def _on_progress(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self._job_started
        timing = f" · {clock(elapsed)}"
        if 0 < done < total:
            timing += f" · about {clock(elapsed / done * (total - done))} left"
        self.progress.setFormat("%v / %m frames" + timing)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _show_progress_state(self, text: str) -> None:
        """An empty bar with `text`: a failed or cancelled job's frame count must not stay behind."""
        self.progress.setMaximum(1)
        self.progress.setValue(0)
        self.progress.setFormat(text)

    def _on_job_finished(self, path: Path) -> None:
        self.progress.setFormat(f"done: %m frames in {clock(time.monotonic() - self._job_started)}")
        self.status_message.emit(f"Animation saved: {path}", "info")
        self.job_finished.emit(path)
        self.load_preview(Path(path))

    def _on_job_failed(self, text: str) -> None:
        if self._job is not None and self._job.cancel.is_set():
            self._show_progress_state("cancelled")
            self.status_message.emit("Animation cancelled; no output was written", "info")
        else:
            self._show_progress_state("failed: see the status line")
            self.error.emit(f"Animation failed: {text}")

    def _on_job_stopped(self) -> None:
        self._job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self._show_default_output()  # the written file took the default name: show the next one
        self._threads.reap()

    # -- preview --------------------------------------------------------------------------------
    def load_preview(self, path: Path) -> None:
        """Decode the result in a worker, then play it in a loop."""

        def decode(_progress: Progress, cancel: threading.Event) -> list[np.ndarray]:
            frames = []
            for frame in VideoReader(path).frames(1500):
                if cancel.is_set():
                    break
                frames.append(frame)
            return frames

        worker = TaskWorker(decode)
        worker.finished.connect(self._on_preview_loaded)
        worker.failed.connect(self._on_preview_failed)
        worker.stopped.connect(self._threads.reap)
        self._threads.start(worker)

    def _on_preview_loaded(self, frames: list[np.ndarray]) -> None:
        self._preview_frames, self._preview_index = frames, 0
        if frames:
            self.preview_timer.start(40)

    def _on_preview_failed(self, text: str) -> None:
        self.error.emit(f"Preview: {text}")

    def _on_preview_tick(self) -> None:
        if not self._preview_frames:
            self.preview_timer.stop()
            return
        self.preview_view.set_image(self._preview_frames[self._preview_index])
        self._preview_index = (self._preview_index + 1) % len(self._preview_frames)

    # -- inspection -----------------------------------------------------------------------------
    def _inspect_inputs(self) -> tuple[ModelEntry, Path, Path] | None:
        inputs = self._inputs()
        return None if inputs is None else inputs[:3]

    def _motion(self) -> MotionOptions:
        return MotionOptions(
            relative=self.relative.isChecked(), adapt_movement_scale=self.adapt_scale.isChecked()
        )

    def _on_motion_toggled(self) -> None:
        self.inspect.refresh_soon()

    # -- lifetime -------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel everything and join every thread (window closing)."""
        self.preview_timer.stop()
        self.cancel_job()
        joined = [self.inspect.shutdown(timeout_ms), self.source_check.shutdown(timeout_ms)]
        return self._threads.join(timeout_ms) and all(joined)

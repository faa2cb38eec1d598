"""The Train tab's dataset box: the folder of videos and its report (videos found, split, frame cache),
computed in a worker thread; a new scan cancels the previous one."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QGroupBox, QPlainTextEdit, QVBoxLayout, QWidget

from fomm_studio.api import report_text, scan_dataset_report
from ui.threads import Progress, TaskWorker, WorkerThreads
from ui.widgets.path_row import path_row


class DatasetBox(QGroupBox):
    """The dataset folder and its report. `folder_chosen` when the user types or browses a folder; the
    tab then calls `scan` with the frame shape and cache it trains with."""

    folder_chosen = Signal(object)  # Path
    report_ready = Signal(str)  # the report, or why the folder cannot be used
    usable_changed = Signal(object)  # None when training can start on the folder, else why not

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Dataset", parent)
        self.report_shape: tuple[int, ...] | None = None  # frame shape the report was made for
        self.problem: str | None = None  # why training cannot start on the scanned folder (None: it can)
        self._scan: TaskWorker | None = None
        self._threads = WorkerThreads(self)
        layout = QVBoxLayout(self)
        self.folder_edit, row = path_row(self.browse, placeholder="folder of videos (or drop one here)")
        self.folder_edit.editingFinished.connect(self._on_editing_finished)
        layout.addLayout(row)
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText(
            "Pick a folder: videos (.mp4 .avi .mov .mkv .webm .gif) or frame folders"
        )
        self.report_view.setFixedHeight(84)
        layout.addWidget(self.report_view)

    def folder(self) -> Path | None:
        text = self.folder_edit.text().strip()
        return Path(text) if text else None

    def browse(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Dataset folder", self.folder_edit.text())
        if name:
            self.folder_chosen.emit(Path(name))

    def _on_editing_finished(self) -> None:
        self.folder_chosen.emit(Path(self.folder_edit.text()))

    def scan(self, folder: Path, frame_shape: tuple[int, ...], cache_dir: Path | None) -> None:
        """Show `folder` and compute its report for `frame_shape` frames (cached under `cache_dir`)."""
        self.folder_edit.setText(str(folder))
        if self._scan is not None:
            self._scan.cancel.set()
        self.report_shape = frame_shape

        def scan(progress: Progress, cancel: threading.Event) -> tuple[str, int]:
            report = scan_dataset_report(folder, frame_shape, cache_dir, progress, cancel)
            return report_text(report), len(report.train)

        worker = TaskWorker(scan)
        # bound methods of this widget: queued to the GUI thread (a lambda would run in the worker's thread)
        worker.progress.connect(self._on_scan_progress)
        worker.finished.connect(self._on_scan_done)
        worker.failed.connect(self._on_scan_failed)
        worker.stopped.connect(self._threads.reap)
        self._scan = worker
        self._threads.start(worker)
        self.report_view.setPlainText(f"Scanning {folder}…")
        self._set_problem(None)  # not known yet: the trainer scans it again anyway

    def _on_scan_progress(self, done: int, total: int) -> None:
        if self.sender() is self._scan and done < total:
            self.report_view.setPlainText(f"Scanning {self.folder_edit.text()}… video {done + 1} of {total}")

    def _on_scan_done(self, result: tuple[str, int]) -> None:
        if self.sender() is self._scan:
            self._scan = None
            text, train_videos = result
            self.report_view.setPlainText(text)
            self._set_problem(
                None if train_videos else f"{self.folder_edit.text()} has no usable training video"
            )
            self.report_ready.emit(text)

    def _on_scan_failed(self, text: str) -> None:
        worker = self.sender()
        if worker is self._scan and isinstance(worker, TaskWorker) and not worker.cancel.is_set():
            self._scan = None
            self.report_view.setPlainText(f"Cannot use this folder: {text}")
            self._set_problem(text)
            self.report_ready.emit(text)

    def _set_problem(self, problem: str | None) -> None:
        if problem != self.problem:
            self.problem = problem
            self.usable_changed.emit(problem)

    def shutdown(self, timeout_ms: int) -> bool:
        """Cancel a running scan and join its thread (window closing)."""
        return self._threads.join(timeout_ms)


def dropped_folder(event: QDropEvent) -> Path | None:
    """The first local folder among the dropped URLs (QDragEnterEvent is a QDropEvent too)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        path = Path(url.toLocalFile())
        if url.isLocalFile() and path.is_dir():
            return path
    return None

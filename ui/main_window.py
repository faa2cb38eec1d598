"""The main window: model bar, Live / Animate / Train tabs, status bar, shortcuts, remembered state."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from fomm_studio.api import (
    DEFAULT_MODEL_ID,
    FommError,
    ModelEntry,
    ModelRegistry,
    Settings,
    save_settings,
)
from ui.animate.panel import AnimatePanel
from ui.hint_actions import connect_default_model_hint
from ui.live.panel import LivePanel
from ui.model_bar import CHECKPOINT_FILTER, ModelBar, dropped_checkpoints
from ui.model_checks import check_models_task
from ui.shortcuts import animate_keys, bind, keeps_key, live_keys
from ui.threads import TaskWorker, WorkerThreads
from ui.train.panel import TrainPanel
from ui.widgets.elided_label import ElidedLabel
from ui.widgets.theme import DANGER, WARN

log = logging.getLogger(__name__)

STATUS_COLORS = {"info": "#aab1bb", "warn": WARN, "error": DANGER}


class MainWindow(QMainWindow):
    """FOMM Studio's window. `registry` lists the models; `settings` is saved on close."""

    def __init__(self, settings: Settings, registry: ModelRegistry, save_on_close: bool = True):
        super().__init__()
        self.settings = settings
        self.registry = registry
        self.save_on_close = save_on_close
        self._error_box: QMessageBox | None = None
        self._adding: set[str] = set()  # pairs the user opened, listed once their check passed
        self._checking: set[str] = set()  # models whose files a worker is checking
        self._quiet_adds: set[str] = set()  # dropped checkpoints: refused in the status bar only
        self._model_threads = WorkerThreads(self)
        self.setWindowTitle("FOMM Studio")
        self.resize(1280, 800)
        self._build_model_bar()
        self.live = LivePanel(settings, self.current_model, self.model_problem)
        self.model_bar.addSeparator()
        self.animate = AnimatePanel(settings, self.current_model, self.model_problem)
        self.train = TrainPanel(settings, self.current_model)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.live, "Live")
        self.tabs.addTab(self.animate, "Animate")
        self.tabs.addTab(self.train, "Train")
        self.setCentralWidget(self.tabs)
        self._build_status_bar()
        self._connect_panels()
        self._install_shortcuts()
        self._restore_geometry()
        self.refresh_models()
        restored = [e.model_id for e in registry.entries() if e.kind != "default"]
        if restored:  # remembered models: their files may have changed since the last session
            self.check_models(restored)

    # -- model bar ------------------------------------------------------------------------------
    def _build_model_bar(self) -> None:
        bar = self.model_bar = ModelBar(
            self.open_checkpoint, self.open_model_files, self.remove_current_model
        )
        self.model_combo, self.model_badge = bar.model_combo, bar.model_badge
        self.open_button, self.remove_button = bar.open_button, bar.remove_button
        self.model_combo.activated.connect(self._on_model_activated)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.setAcceptDrops(True)  # a checkpoint dropped anywhere on the window (see `eventFilter`)

    def current_model(self) -> ModelEntry:
        model_id = self.model_combo.currentData() or self.settings.model_id
        return (
            self.registry.get(model_id) if model_id in self.registry else self.registry.get(DEFAULT_MODEL_ID)
        )

    def model_problem(self, model_id: str) -> str | None:
        """Why the model failed its check or its last load (None when it did not)."""
        return self.registry.problem(model_id)

    def refresh_models(self, select: str | None = None) -> None:
        """Re-list the registry (statuses are checked on disk) and select `select` or the remembered one.
        A pair being checked before it is added is not listed yet."""
        wanted = select or self.model_combo.currentData() or self.settings.model_id
        self.model_combo.clear()
        for entry in self.registry.entries():
            if entry.model_id in self._adding:
                continue
            self.model_combo.addItem(self._model_label(entry), entry.model_id)
            self.model_combo.setItemData(
                self.model_combo.count() - 1, str(entry.checkpoint_path), Qt.ItemDataRole.ToolTipRole
            )
        index = self.model_combo.findData(wanted)
        self.model_combo.setCurrentIndex(max(index, 0))
        self._show_model_state()

    def _model_status(self, entry: ModelEntry) -> str:
        """'ready', 'failed' (its check or load failed), 'checking', or what is missing on disk."""
        status = self.registry.status(entry.model_id)
        return "checking" if status == "ready" and entry.model_id in self._checking else status

    def _model_label(self, entry: ModelEntry) -> str:
        status, name = self._model_status(entry), self.registry.label(entry.model_id)
        return name if status == "ready" else f"{name} ({status})"

    def select_model(self, model_id: str) -> None:
        self.refresh_models(model_id)
        self._on_model_activated(self.model_combo.currentIndex())

    def _show_model_state(self) -> None:
        entry = self.current_model()
        status = self._model_status(entry)
        problem = self.registry.problem(entry.model_id)
        self.model_bar.show_state(entry, status, problem, self.registry.detected_config(entry.model_id))
        if problem is not None:
            self.live.show_model_problem(f"Model '{entry.name}' failed: {problem}")
        elif status not in ("ready", "checking"):
            self.live.show_model_problem(
                f"Model '{entry.name}': {status}.\n{entry.checkpoint_path}\n"
                "Open a config + checkpoint (model bar) to animate."
            )
        else:
            self.live.show_model_problem(None)

    def _on_model_activated(self, _index: int) -> None:
        entry = self.current_model()
        self.settings.model_id = entry.model_id
        if self.registry.problem(entry.model_id) is not None:
            self.check_models([entry.model_id])  # its files may have been fixed since
        self.live.model_changed()
        self._show_model_state()
        self.show_status(f"Model: {entry.name}")  # an error about the previous model no longer applies

    def open_model_files(self) -> None:
        config, _ = QFileDialog.getOpenFileName(self, "Open FOMM config", "", "Config (*.yaml *.yml)")
        if not config:
            return
        checkpoint, _ = QFileDialog.getOpenFileName(
            self,
            "Open matching checkpoint",
            str(Path(config).parent),
            CHECKPOINT_FILTER,
        )
        if checkpoint:
            self.add_model_files(Path(config), Path(checkpoint))

    def open_checkpoint(self) -> None:
        checkpoint, _ = QFileDialog.getOpenFileName(self, "Open FOMM checkpoint", "", CHECKPOINT_FILTER)
        if checkpoint:
            self.add_model_files(None, Path(checkpoint))

    def add_model_files(
        self, config: Path | None, checkpoint: Path, quiet: bool = False
    ) -> TaskWorker | None:
        """Check a config + checkpoint (config None: detect it from the checkpoint's tensors) in a
        worker, then list and select it; one that fails its check is refused with the one-line reason
        (`quiet`: in the status bar only). Returns the check's worker (None when refused at once)."""
        known = {entry.model_id for entry in self.registry.entries()}
        try:
            entry = (
                self.registry.add_checkpoint(checkpoint)
                if config is None
                else self.registry.add_files(config, checkpoint)
            )
        except FommError as exc:
            self._refuse(f"Model not added: {exc}", quiet)
            return None
        if entry.model_id not in known:
            self._adding.add(entry.model_id)
        if quiet:
            self._quiet_adds.add(entry.model_id)
        against = "detecting its config" if config is None else f"against {config.name}"
        self.show_status(f"Checking {checkpoint.name}, {against}…")
        return self.check_models([entry.model_id], then=self._on_added_model_checked)

    def _on_added_model_checked(self, problems: dict[str, str | None]) -> None:
        for model_id, problem in problems.items():
            fresh, quiet = model_id in self._adding, model_id in self._quiet_adds
            self._adding.discard(model_id)
            self._quiet_adds.discard(model_id)
            if problem is not None and fresh:
                self.registry.remove(model_id)
                self._refuse(f"Model not added: {problem}", quiet)
            elif problem is not None:
                self.refresh_models()
                self.show_error(f"Model failed its check: {problem}")
            else:
                self.settings.custom_models = self.registry.to_settings()
                self.select_model(model_id)
                detected = self.registry.detected_config(model_id)
                note = "" if detected is None else f" ({detected.message})"
                self.show_status(f"Model: {self.registry.get(model_id).name}{note}")

    def _refuse(self, text: str, quiet: bool) -> None:
        """A refused model: one line in the status bar (a dropped file), or the error dialog too."""
        self.show_status(text.splitlines()[0], "error") if quiet else self.show_error(text)

    def check_models(
        self, model_ids: list[str], then: Callable[[dict[str, str | None]], None] | None = None
    ) -> TaskWorker:
        """Check the models' files in a worker thread, one after the other (the GUI thread never reads a
        checkpoint); the picker says 'checking' meanwhile and 'failed' (with why) after a failure.
        `then` gets the problems too: connected before the thread starts, because a check that fails at
        once (a config with a wrong type) can finish before a connection made after `start` exists."""
        self._checking.update(model_ids)
        worker = TaskWorker(check_models_task(self.registry, list(model_ids)))
        worker.progress.connect(self._on_models_check_progress)
        worker.finished.connect(self._on_models_checked)
        if then is not None:
            worker.finished.connect(then)
        worker.failed.connect(self.show_error)
        worker.stopped.connect(self._model_threads.reap)
        self._model_threads.start(worker)
        self._refresh_model_labels()
        return worker

    def _on_models_check_progress(self, _done: int, _total: int) -> None:
        self._refresh_model_labels()

    def _on_models_checked(self, problems: dict[str, str | None]) -> None:
        self._checking.difference_update(problems)
        self._refresh_model_labels()

    def _refresh_model_labels(self) -> None:
        for index in range(self.model_combo.count()):
            model_id = self.model_combo.itemData(index)
            if model_id in self.registry:
                self.model_combo.setItemText(index, self._model_label(self.registry.get(model_id)))
        self._show_model_state()

    def _on_model_failed(self, model_id: str, reason: str) -> None:
        """The live view could not load the model: it is marked failed until a check passes again."""
        self.registry.mark_failed(model_id, reason)
        self._refresh_model_labels()

    def remove_current_model(self) -> None:
        """Forget the picked model (not the built-in default) and go back to the default."""
        entry = self.current_model()
        try:
            self.registry.remove(entry.model_id)
        except FommError as exc:
            self.show_error(str(exc))
            return
        self.settings.custom_models = self.registry.to_settings()
        self.select_model(DEFAULT_MODEL_ID)
        self.show_status(f"Removed '{entry.name}' from the model list (its files are still on disk)")

    # -- status bar and errors --------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        self.status_label = ElidedLabel("Ready")  # a long error fits; the dialog and tooltip hold all
        self.stats_label = QLabel("stopped")
        self.stats_label.setMinimumWidth(170)
        self.stats_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.stats_label)

    def show_status(self, text: str, kind: str = "info") -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {STATUS_COLORS.get(kind, STATUS_COLORS['info'])};")

    def show_error(self, text: str) -> None:
        """The one place errors are shown: the status bar plus a non-modal message box."""
        self.show_status(text, "error")
        if self._error_box is None:
            self._error_box = QMessageBox(
                QMessageBox.Icon.Warning, "FOMM Studio", "", QMessageBox.StandardButton.Ok, self
            )
            self._error_box.setWindowModality(Qt.WindowModality.NonModal)
        self._error_box.setText(text)
        self._error_box.show()

    def _connect_panels(self) -> None:
        for panel in (self.live, self.animate, self.train):
            panel.status_message.connect(self.show_status)
            panel.error.connect(self.show_error)
        self.live.stats_text.connect(self.stats_label.setText)
        self.live.model_failed.connect(self._on_model_failed)
        self.train.use_in_live.connect(self.use_run_checkpoint)
        connect_default_model_hint(self)  # the Live tab's hint leads to the picker or the Train tab

    def use_run_checkpoint(self, run_dir: Path, checkpoint: Path) -> ModelEntry | None:
        """Register a training run's checkpoints and switch the Live tab to `checkpoint`."""
        try:
            entries = self.registry.register_run_checkpoints(run_dir)
        except FommError as exc:
            self.show_error(str(exc))
            return None
        entry = next((e for e in entries if e.checkpoint_path.resolve() == checkpoint.resolve()), None)
        if entry is None:
            self.show_error(f"{checkpoint}: not a checkpoint of the run {run_dir}")
            return None
        self.registry.remember(entry.model_id)
        self.settings.custom_models = self.registry.to_settings()
        self.select_model(entry.model_id)
        self.tabs.setCurrentWidget(self.live)
        self.show_status(f"Live model: {entry.name}")
        return entry

    # -- shortcuts ------------------------------------------------------------------------------
    def _install_shortcuts(self) -> None:
        """Window keys work on every tab. A tab's single keys are shortcuts of that tab's panel, and a
        shortcut whose widget is hidden never fires, so they act only while their tab is shown. A
        focused input keeps the keys it uses (see `eventFilter`)."""
        window_keys = {
            "F11": self.toggle_fullscreen,
            "Escape": self.leave_fullscreen,
            "Ctrl+Q": self.close,
        }
        app = QApplication.instance()
        if app is not None:  # a widget implies an application; the stubs cannot know
            app.installEventFilter(self)
        self.shortcuts = [
            *bind(self, window_keys),
            *bind(self.live, live_keys(self.live)),
            *bind(self.animate, animate_keys(self.animate.inspect)),
        ]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A focused input keeps the keys it uses (typing, moving a slider) instead of a tab's shortcut
        taking them; on the Live tab, Space toggles Start/Stop even when a list or combo box has focus
        (they would eat it). A checkpoint dragged over any widget goes to the model picker (drag enter,
        move and drop events are all `QDropEvent`s)."""
        if isinstance(event, QDropEvent) and isinstance(watched, QWidget):
            return self._checkpoint_drop(watched, event) or super().eventFilter(watched, event)
        if not (isinstance(event, QKeyEvent) and isinstance(watched, QWidget) and watched.window() is self):
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.ShortcutOverride and keeps_key(watched, event):
            event.accept()  # no shortcut: the key goes to the widget
            return True
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Space
            and not event.isAutoRepeat()
            and self.tabs.currentWidget() is self.live
            and not keeps_key(watched, event)
        ):
            self.live.toggle_running()
            return True
        return super().eventFilter(watched, event)

    def _checkpoint_drop(self, watched: QWidget, event: QDropEvent) -> bool:
        """A checkpoint dragged anywhere on the window goes to the model picker, whichever tab or pane
        is under it (the Live tab's own drop handling takes images and videos only)."""
        checkpoints = dropped_checkpoints(event.mimeData()) if watched.window() is self else []
        if not checkpoints:
            return False
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            self.add_model_files(None, checkpoints[0], quiet=True)
        return True

    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def leave_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()

    # -- lifetime -------------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Join the worker threads before the window goes, then remember the window and choices."""
        if not self.train.confirm_close():  # a running training: stop it, leave it running, or cancel
            event.ignore()
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.live.shutdown()
        self.animate.shutdown()
        self.train.shutdown()
        self._model_threads.join(15000)
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        if self.save_on_close:
            try:
                save_settings(self.settings)
            except OSError as exc:
                log.warning("could not save settings: %s", exc)
        super().closeEvent(event)

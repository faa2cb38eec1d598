"""The main window: model bar, Live / Animate / Train tabs, status bar, shortcuts, remembered state."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextEdit,
    QToolBar,
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
from ui.live.panel import LivePanel
from ui.train.panel import TrainPanel
from ui.widgets.theme import DANGER, OK, WARN

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
        self.setWindowTitle("FOMM Studio")
        self.resize(1280, 800)
        self._build_model_bar()
        self.live = LivePanel(settings, self.current_model)
        self.animate = AnimatePanel(settings, self.current_model)
        self.train = TrainPanel(settings)
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

    # -- model bar ------------------------------------------------------------------------------
    def _build_model_bar(self) -> None:
        bar = QToolBar("Model")
        bar.setMovable(False)
        title = QLabel("  FOMM Studio  ")
        title.setStyleSheet("font-size: 15px; font-weight: 700; color: #ffffff;")
        bar.addWidget(title)
        bar.addSeparator()
        bar.addWidget(QLabel("Model"))
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(300)
        self.model_combo.activated.connect(self._on_model_activated)
        bar.addWidget(self.model_combo)
        self.model_badge = QLabel()
        self.model_badge.setObjectName("badge")
        bar.addWidget(self.model_badge)
        open_button = QPushButton("Open config + checkpoint…")
        open_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        open_button.setToolTip("Use an original FOMM config (.yaml) and checkpoint (.pth.tar)")
        open_button.clicked.connect(self.open_model_files)
        bar.addWidget(open_button)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def current_model(self) -> ModelEntry:
        model_id = self.model_combo.currentData() or self.settings.model_id
        return (
            self.registry.get(model_id) if model_id in self.registry else self.registry.get(DEFAULT_MODEL_ID)
        )

    def refresh_models(self, select: str | None = None) -> None:
        """Re-list the registry (statuses are checked on disk) and select `select` or the remembered one."""
        wanted = select or self.settings.model_id
        self.model_combo.clear()
        for entry in self.registry.entries():
            self.model_combo.addItem(entry.label, entry.model_id)
            self.model_combo.setItemData(
                self.model_combo.count() - 1, str(entry.checkpoint_path), Qt.ItemDataRole.ToolTipRole
            )
        index = self.model_combo.findData(wanted)
        self.model_combo.setCurrentIndex(max(index, 0))
        self._show_model_state()

    def select_model(self, model_id: str) -> None:
        self.refresh_models(model_id)
        self._on_model_activated(self.model_combo.currentIndex())

    def _show_model_state(self) -> None:
        entry = self.current_model()
        ok = entry.is_ready
        self.model_badge.setText("ready" if ok else entry.status)
        color = OK if ok else DANGER
        self.model_badge.setStyleSheet(f"background: {color}; color: white;")
        tip = (
            str(entry.checkpoint_path)
            if ok
            else (
                f"{entry.checkpoint_path} is missing. Train the default model in the Train tab or open an "
                "original config + checkpoint."
            )
        )
        self.model_badge.setToolTip(tip)
        if not ok:
            self.live.output_view.set_message(
                f"Model '{entry.name}': {entry.status}.\n{entry.checkpoint_path}\n"
                "Open a config + checkpoint (model bar) to animate.",
                "error",
            )
        else:
            self.live.output_view.set_message("")

    def _on_model_activated(self, _index: int) -> None:
        entry = self.current_model()
        self.settings.model_id = entry.model_id
        self._show_model_state()
        if self.live.running:
            self.live.stop_and_restart()

    def open_model_files(self) -> None:
        config, _ = QFileDialog.getOpenFileName(self, "Open FOMM config", "", "Config (*.yaml *.yml)")
        if not config:
            return
        checkpoint, _ = QFileDialog.getOpenFileName(
            self,
            "Open matching checkpoint",
            str(Path(config).parent),
            "Checkpoint (*.pth.tar *.pth *.tar *.pt)",
        )
        if checkpoint:
            self.add_model_files(Path(config), Path(checkpoint))

    def add_model_files(self, config: Path, checkpoint: Path) -> ModelEntry | None:
        try:
            entry = self.registry.add_files(config, checkpoint)
        except FommError as exc:
            self.show_error(str(exc))
            return None
        self.settings.custom_models = self.registry.to_settings()
        self.select_model(entry.model_id)
        return entry

    # -- status bar and errors --------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        self.status_label = QLabel("Ready")
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
        self.train.use_in_live.connect(self.use_run_checkpoint)

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
        live, controls, inspect = self.live, self.live.controls, self.animate.inspect
        window_keys = {
            "F11": self.toggle_fullscreen,
            "Escape": self.leave_fullscreen,
            "Ctrl+Q": self.close,
        }
        live_keys = {
            "Space": live.toggle_running,
            "C": live.calibrate,
            "R": live.record_button.click,
            "S": live.snapshot,
            "K": lambda: controls.toggle("keypoints"),
            "O": lambda: controls.toggle("occlusion"),
            "H": lambda: controls.toggle("heatmaps"),
            "M": lambda: controls.toggle("masks"),
            "D": lambda: controls.toggle("deformed"),
            "F": lambda: controls.toggle("face_crop"),
            "X": lambda: controls.toggle("mirror"),
            "Ctrl+O": live.gallery.open_dialog,
            "Left": lambda: controls.nudge(dx=-0.02),
            "Right": lambda: controls.nudge(dx=0.02),
            "Up": lambda: controls.nudge(dy=-0.02),
            "Down": lambda: controls.nudge(dy=0.02),
            "+": lambda: controls.nudge(dzoom=10),
            "=": lambda: controls.nudge(dzoom=10),
            "-": lambda: controls.nudge(dzoom=-10),
        }
        animate_keys = {
            "Left": lambda: inspect.step(-1),
            "Right": lambda: inspect.step(1),
            "PgUp": lambda: inspect.step(-10),
            "PgDown": lambda: inspect.step(10),
        }
        app = QApplication.instance()
        if app is not None:  # a widget implies an application; the stubs cannot know
            app.installEventFilter(self)
        self.shortcuts = [
            *_bind(self, window_keys),
            *_bind(self.live, live_keys),
            *_bind(self.animate, animate_keys),
        ]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A focused input keeps the keys it uses (typing, moving a slider) instead of a tab's shortcut
        taking them; on the Live tab, Space toggles Start/Stop even when a list or combo box has focus
        (they would eat it)."""
        if not (isinstance(event, QKeyEvent) and isinstance(watched, QWidget) and watched.window() is self):
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.ShortcutOverride and _keeps_key(watched, event):
            event.accept()  # no shortcut: the key goes to the widget
            return True
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Space
            and not event.isAutoRepeat()
            and self.tabs.currentWidget() is self.live
            and not _keeps_key(watched, event)
        ):
            self.live.toggle_running()
            return True
        return super().eventFilter(watched, event)

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
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        if self.save_on_close:
            try:
                save_settings(self.settings)
            except OSError as exc:
                log.warning("could not save settings: %s", exc)
        super().closeEvent(event)


TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)
NAVIGATING_INPUTS = (QAbstractSlider, QComboBox, QAbstractItemView)
NAVIGATION_KEYS = {
    Qt.Key.Key_Left,
    Qt.Key.Key_Right,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
    Qt.Key.Key_Home,
    Qt.Key.Key_End,
}
COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
)


def _keeps_key(widget: QWidget, event: QKeyEvent) -> bool:
    """Whether the focused `widget` uses this key itself: a text field every key without Ctrl/Alt/Meta
    (but Escape and the function keys), a slider, combo box or list its navigation keys."""
    key = Qt.Key(event.key())
    if isinstance(widget, TEXT_INPUTS):
        plain = not (event.modifiers() & COMMAND_MODIFIERS)
        return plain and key != Qt.Key.Key_Escape and not Qt.Key.Key_F1 <= key <= Qt.Key.Key_F35
    return isinstance(widget, NAVIGATING_INPUTS) and key in NAVIGATION_KEYS


def _bind(parent: QWidget, keys: Mapping[str, Callable[[], object]]) -> list[QShortcut]:
    """Shortcuts of `parent` (window context: they fire while `parent` is visible in the active window)."""
    shortcuts = []
    for sequence, slot in keys.items():
        shortcut = QShortcut(QKeySequence(sequence), parent)
        shortcut.activated.connect(slot)
        shortcuts.append(shortcut)
    return shortcuts

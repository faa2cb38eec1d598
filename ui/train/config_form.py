"""The Train tab's config form: a preset (or any config file) with its main numbers editable."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from fomm_studio.api import (
    PERCEPTUAL_BACKENDS,
    PRESETS,
    FommError,
    TrainEdits,
    check_edits,
    read_edits,
    run_edits,
    vgg_weights_problem,
)
from ui.widgets.path_row import path_row
from ui.widgets.theme import WARN

log = logging.getLogger(__name__)

OPEN_CONFIG = "Open config file…"
DEFAULT_FRAME_SHAPE = (256, 256, 3)


class ConfigForm(QGroupBox):
    """The config a new run starts from. `config_loaded(choice, edits)` after a file was read, where
    `choice` is what to remember: a preset's name, or the path of any other file."""

    config_loaded = Signal(str, object)  # choice, TrainEdits
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Model and training", parent)
        self.config_path: Path | None = None
        form = QFormLayout(self)
        self.preset_combo = QComboBox()
        self.preset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.preset_combo.setMinimumContentsLength(16)
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

    # -- choosing a config ----------------------------------------------------------------------
    def restore(self, choice: str) -> None:
        """Load the remembered choice (a preset's name or a file), else the first preset."""
        index = self.preset_combo.findText(choice) if choice and choice != OPEN_CONFIG else -1
        if index < 0 and choice and Path(choice).is_file():
            self.load_config(Path(choice))
        else:
            index = max(index, 0)
            self.load_config(Path(self.preset_combo.itemData(index)), preset_index=index)

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
        choice = self.preset_combo.itemText(preset_index or 0) if is_preset else str(path)
        self._select_current_preset()
        self.config_label.setText(str(path))
        self.show_edits(edits)
        self.config_loaded.emit(choice, edits)
        return True

    def show_run_config(self, run_dir: Path) -> None:
        """A resumed run trains with its own config: show those numbers, not edits it will not use."""
        try:
            edits = run_edits(run_dir)
        except FommError as exc:
            log.warning("cannot show the config of %s: %s", run_dir, exc)
            return
        self.show_edits(edits)
        self.config_label.setText(f"Resumed with the run's own config: {run_dir / 'config.yaml'}")

    # -- the numbers ----------------------------------------------------------------------------
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

    def checked_edits(self) -> TrainEdits:
        """The edits a new run can start with; FommError naming the first problem."""
        edits = self.edits()
        check_edits(edits)
        problem = vgg_weights_problem(edits.perceptual_backend, edits.vgg19_weights)
        if problem:
            raise FommError(problem)
        return edits

    def frame_shape(self) -> tuple[int, ...]:
        return self.edits().frame_shape or DEFAULT_FRAME_SHAPE

    def browse_vgg(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "VGG-19 weights", "", "PyTorch weights (*.pth *.pt)")
        if name:
            self.vgg_edit.setText(name)

    def _check_vgg(self) -> None:
        problem = vgg_weights_problem(self.backend_combo.currentText(), self.vgg_edit.text().strip() or None)
        self.vgg_warning.setText(problem or "")
        self.vgg_warning.setVisible(problem is not None)


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

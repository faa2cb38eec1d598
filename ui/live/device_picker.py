"""The Live tab's device, next to the model picker: the choice (Auto / CPU / each GPU) and the device
the running model actually uses, with a warning when the model is too heavy for live use there."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from fomm_studio.api import DeviceReport
from ui.widgets.device_combo import DeviceCombo
from ui.widgets.theme import WARN


class DevicePicker(QWidget):
    """Emits `device_changed` with the new choice; `show_report` shows where the model runs."""

    device_changed = Signal(str)

    def __init__(self, value: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.combo = DeviceCombo(value)
        self.combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space for the Start/Stop shortcut
        self.combo.activated.connect(self._on_activated)
        self.used_label = QLabel("")
        self.used_label.setObjectName("badge")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Device"))
        layout.addWidget(self.combo)
        layout.addWidget(self.used_label)

    def value(self) -> str:
        return self.combo.value()

    def show_report(self, report: DeviceReport | None) -> None:
        """'on cuda:0 · <GPU name>'; on a CPU too slow for the model, a warning badge whose tooltip says
        what to do; nothing before a model is loaded."""
        if report is None:
            self.used_label.setText("")
            self.used_label.setToolTip("")
            self.used_label.setStyleSheet("")
            return
        cost = f"{report.gflops:.1f} GFLOP a frame"
        if report.warning:
            self.used_label.setText(f"on {report.label}: too slow for this model")
            self.used_label.setStyleSheet(f"background: {WARN}; color: #1b1e23;")
            self.used_label.setToolTip(report.warning)
        else:
            self.used_label.setText(f"on {report.label}")
            self.used_label.setStyleSheet("color: #aab1bb;")
            self.used_label.setToolTip(f"The live model runs on {report.label} ({cost})")

    def _on_activated(self, _index: int) -> None:
        self.device_changed.emit(self.value())

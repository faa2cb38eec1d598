"""The Live tab's device and inference backend, a box atop its controls column: the choices (device: Auto /
CPU / each GPU; backend: fastest available / torch / each exported one) and what the running model
actually uses, with a warning when the model is too heavy for live use there."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QWidget

from fomm_studio.api import BACKEND_REQUESTS, DeviceReport
from ui.widgets.device_combo import DeviceCombo
from ui.widgets.theme import WARN

BACKEND_TIP = (
    "How the CPU runs the live frame. 'Fastest available' starts on torch, builds the exported OpenVINO "
    "backends in the background (the first time a model is used: tens of seconds), checks each against "
    "torch on your avatar (refused below 40 dB PSNR) and switches to the fastest one that passes, "
    "without stopping the view. On a GPU the live frame always runs on torch."
)


class DevicePicker(QGroupBox):
    """Emits `device_changed` with the new device, `backend_changed` with the new backend request;
    `show_report` shows where the model runs, `show_backend` which backend animates the frames."""

    device_changed = Signal(str)
    backend_changed = Signal(str)

    def __init__(self, value: str, backend: str = "auto", parent: QWidget | None = None):
        super().__init__("Runs on", parent)
        self.combo = DeviceCombo(value)
        self.combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space for the Start/Stop shortcut
        self.combo.activated.connect(self._on_activated)
        self.backend_combo = QComboBox()
        for request in BACKEND_REQUESTS:
            self.backend_combo.addItem("Fastest available" if request == "auto" else request, request)
        index = self.backend_combo.findData(backend)
        self.backend_combo.setCurrentIndex(max(index, 0))  # a name this version lacks: auto
        self.backend_combo.setToolTip(BACKEND_TIP)
        self.backend_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.backend_combo.activated.connect(lambda _i: self.backend_changed.emit(self.backend()))
        self.used_label = QLabel("")
        self.used_label.setObjectName("badge")
        self.used_label.setWordWrap(True)
        self.backend_label = QLabel("")
        self.backend_label.setStyleSheet("color: #aab1bb;")
        self.backend_label.setWordWrap(True)
        # a box at the top of the Live tab's column: reachable at every window width (the model bar
        # above overflows at 1024 pixels)
        for combo in (self.combo, self.backend_combo):  # shrink with the column, full names in the popup
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        layout = QGridLayout(self)
        layout.addWidget(QLabel("Device"), 0, 0)
        layout.addWidget(self.combo, 0, 1)
        layout.addWidget(self.used_label, 1, 1)
        layout.addWidget(QLabel("Backend"), 2, 0)
        layout.addWidget(self.backend_combo, 2, 1)
        layout.addWidget(self.backend_label, 3, 1)
        layout.setColumnStretch(1, 1)

    def value(self) -> str:
        return self.combo.value()

    def backend(self) -> str:
        """'auto', 'torch' or an exported backend's name (what `LiveSpec.backend` takes)."""
        return str(self.backend_combo.currentData())

    def show_backend(self, name: str | None) -> None:
        """'runs on openvino-mixed': the backend of the newest frame; nothing while stopped."""
        text = f"runs on {name}" if name else ""
        if self.backend_label.text() != text:  # once per change, not per frame
            self.backend_label.setText(text)

    def show_report(self, report: DeviceReport | None) -> None:
        """'on cuda:0 · <GPU name>'; on a CPU too slow for the model, a warning badge whose tooltip says
        what to do; nothing before a model is loaded (nor a backend)."""
        if report is None:
            self.show_backend(None)
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

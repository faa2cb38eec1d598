"""A device picker: Auto, the CPU, and each CUDA GPU torch sees (by index and name)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from fomm_studio.api import device_choices

DEVICE_TIP = "Auto: the GPU when torch sees one, else the CPU"


class DeviceCombo(QComboBox):
    """`value()` is what the loaders take: 'auto', 'cpu' or 'cuda:N'."""

    def __init__(self, value: str = "auto", parent: QWidget | None = None):
        super().__init__(parent)
        for choice in device_choices():
            self.addItem(choice.label, choice.value)
        self.setToolTip(DEVICE_TIP)
        self.set_value(value)

    def value(self) -> str:
        return str(self.currentData())

    def set_value(self, value: str) -> None:
        """Select `value`; a GPU this machine does not have (or an older 'cuda') falls back to Auto."""
        self.setCurrentIndex(max(self.findData(value), 0))

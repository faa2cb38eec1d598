"""A path field with a browse button, the row every file input of the app uses."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton


def path_row(
    browse: Callable[[], None], text: str = "", placeholder: str = ""
) -> tuple[QLineEdit, QHBoxLayout]:
    """(line edit, layout holding it and a '…' button that calls `browse`)."""
    edit = QLineEdit(text)
    edit.setPlaceholderText(placeholder)
    button = QPushButton("…")
    button.setFixedWidth(34)
    button.setStyleSheet("padding: 4px 2px;")
    button.setToolTip("Browse…")
    button.clicked.connect(browse)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return edit, row

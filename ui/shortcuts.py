"""Keyboard shortcuts: which keys each tab binds, and which keys a focused input keeps for itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

if TYPE_CHECKING:
    from ui.animate.inspector import InspectView
    from ui.live.panel import LivePanel

Keys = Mapping[str, Callable[[], object]]


def live_keys(live: LivePanel) -> Keys:
    """The Live tab's single keys (transport, overlays, avatars 1-9 and Left/Right, crop nudges on
    Shift+arrows)."""
    controls, gallery = live.controls, live.gallery
    avatars = {str(n): (lambda n=n: gallery.select_number(n)) for n in range(1, 10)}
    return {
        **avatars,
        "Left": lambda: gallery.cycle(-1),
        "Right": lambda: gallery.cycle(1),
        "A": controls.align_bar.toggle.toggle,
        "Space": live.toggle_running,
        "C": live.calibrate,
        "R": live.record_button.click,
        "S": live.snapshot,
        "K": lambda: controls.toggle("keypoints"),
        "O": lambda: controls.toggle("occlusion"),
        "H": lambda: controls.toggle("heatmaps"),
        "M": lambda: controls.toggle("masks"),
        "D": lambda: controls.toggle("deformed"),
        "L": lambda: controls.toggle("flow"),
        "F": lambda: controls.toggle("face_crop"),
        "X": lambda: controls.toggle("mirror"),
        "Ctrl+O": live.gallery.open_dialog,
        "Shift+Left": lambda: controls.nudge(dx=-0.02),
        "Shift+Right": lambda: controls.nudge(dx=0.02),
        "Shift+Up": lambda: controls.nudge(dy=-0.02),
        "Shift+Down": lambda: controls.nudge(dy=0.02),
        "+": lambda: controls.nudge(dzoom=10),
        "=": lambda: controls.nudge(dzoom=10),
        "-": lambda: controls.nudge(dzoom=-10),
    }


def animate_keys(inspect: InspectView) -> Keys:
    """The Animate tab's keys: step the scrubber."""
    return {
        "Left": lambda: inspect.step(-1),
        "Right": lambda: inspect.step(1),
        "PgUp": lambda: inspect.step(-10),
        "PgDown": lambda: inspect.step(10),
    }


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


def keeps_key(widget: QWidget, event: QKeyEvent) -> bool:
    """Whether the focused `widget` uses this key itself: a text field every key without Ctrl/Alt/Meta
    (but Escape and the function keys), a slider, combo box or list its navigation keys."""
    key = Qt.Key(event.key())
    if isinstance(widget, TEXT_INPUTS):
        plain = not (event.modifiers() & COMMAND_MODIFIERS)
        return plain and key != Qt.Key.Key_Escape and not Qt.Key.Key_F1 <= key <= Qt.Key.Key_F35
    return isinstance(widget, NAVIGATING_INPUTS) and key in NAVIGATION_KEYS


def bind(parent: QWidget, keys: Mapping[str, Callable[[], object]]) -> list[QShortcut]:
    """Shortcuts of `parent` (window context: they fire while `parent` is visible in the active window)."""
    shortcuts = []
    for sequence, slot in keys.items():
        shortcut = QShortcut(QKeySequence(sequence), parent)
        shortcut.activated.connect(slot)
        shortcuts.append(shortcut)
    return shortcuts

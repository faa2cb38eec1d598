"""The dark "pro app" look: Fusion style, a dark palette and a little style sheet for accents."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#3d8bfd"
DANGER = "#e5484d"
OK = "#46a758"
WARN = "#f5a524"
PANE_BG = "#111316"

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: #1b1e23; }}
QGroupBox {{ border: 1px solid #2f343c; border-radius: 6px; margin-top: 14px; padding: 8px 6px 6px 6px;
             font-weight: 600; color: #c9ced6; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QTabWidget::pane {{ border: 1px solid #2f343c; border-radius: 4px; top: -1px; }}
QTabBar::tab {{ background: #22262c; color: #aab1bb; padding: 7px 18px; border: 1px solid #2f343c;
                border-bottom: none; border-top-left-radius: 4px; border-top-right-radius: 4px; }}
QTabBar::tab:selected {{ background: #2b3038; color: #ffffff; border-top: 2px solid {ACCENT}; }}
QPushButton {{ background: #2b3038; border: 1px solid #3a404a; border-radius: 5px; padding: 6px 12px;
               color: #e6e9ee; }}
QPushButton:hover {{ background: #343a44; }}
QPushButton:pressed {{ background: #23272e; }}
QPushButton:disabled {{ color: #6b727d; background: #23262b; border-color: #2c3037; }}
QPushButton#primary {{ background: {ACCENT}; border-color: {ACCENT}; color: white; font-weight: 600; }}
QPushButton#primary:hover {{ background: #5a9dfd; }}
QPushButton#primary[running="true"] {{ background: {DANGER}; border-color: {DANGER}; }}
QPushButton:checked {{ background: #3b2326; border-color: {DANGER}; color: #ffb3b5; }}
QStatusBar {{ background: #16181c; color: #aab1bb; border-top: 1px solid #2a2e35; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QListWidget {{ background: #15171b; border: 1px solid #2a2e35; border-radius: 4px; }}
QListWidget::item:selected {{ background: #23344f; border: 1px solid {ACCENT}; border-radius: 4px; }}
QComboBox, QLineEdit, QSpinBox, QDoubleSpinBox {{ background: #22262c; border: 1px solid #3a404a;
               border-radius: 4px; padding: 4px 6px; }}
QProgressBar {{ border: 1px solid #3a404a; border-radius: 4px; background: #22262c; text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QToolBar {{ background: #1f2227; border-bottom: 1px solid #2a2e35; spacing: 8px; padding: 4px; }}
QLabel#badge {{ border-radius: 4px; padding: 2px 8px; font-weight: 600; }}
QScrollArea {{ border: none; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 14px; height: 14px; border: 1px solid #5a616c;
               background: #22262c; }}
QCheckBox::indicator {{ border-radius: 3px; }}
QRadioButton::indicator {{ border-radius: 8px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: {ACCENT}; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; }}
QRadioButton::indicator:checked {{ background: qradialgradient(cx:0.5, cy:0.5, radius:0.5, fx:0.5, fy:0.5,
               stop:0 white, stop:0.35 white, stop:0.45 {ACCENT}, stop:1 {ACCENT}); border-color: {ACCENT}; }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: #3a404a; background: #1b1e23; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    """Fusion + dark palette + style sheet, applied once at start-up."""
    app.setStyle("Fusion")
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#1b1e23",
        QPalette.ColorRole.WindowText: "#e6e9ee",
        QPalette.ColorRole.Base: "#15171b",
        QPalette.ColorRole.AlternateBase: "#1f2227",
        QPalette.ColorRole.ToolTipBase: "#2b3038",
        QPalette.ColorRole.ToolTipText: "#e6e9ee",
        QPalette.ColorRole.Text: "#e6e9ee",
        QPalette.ColorRole.Button: "#2b3038",
        QPalette.ColorRole.ButtonText: "#e6e9ee",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: "#6b727d",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b727d"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)

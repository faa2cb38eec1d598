"""The Live tab's "Copy diagnostics" button: the report a bug about the live view needs, as plain text
on the clipboard (the text itself is built in fomm_studio.diagnostics)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from fomm_studio.api import LiveDiagnostics, LiveFrame, diagnostics_text

if TYPE_CHECKING:
    from ui.live.panel import LivePanel


class DiagnosticsButton(QPushButton):
    """Keeps the last painted frame (its source and backend) to describe the view when clicked."""

    def __init__(self, panel: LivePanel):
        super().__init__("Copy diagnostics")
        self.panel = panel
        self.last_frame: LiveFrame | None = None
        self.setToolTip(
            "Copy model, device, backend, per-stage ms, camera mode and versions to the clipboard, for a "
            "bug report"
        )
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        panel.frame_shown.connect(self._on_frame_shown)
        self.clicked.connect(self.copy)

    def _on_frame_shown(self, frame: LiveFrame) -> None:
        self.last_frame = frame

    def diagnostics(self) -> LiveDiagnostics:
        """What the panel knows now."""
        panel, frame = self.panel, self.last_frame
        entry = panel.model_provider()
        report = panel.device_report
        return LiveDiagnostics(
            model_name=entry.name,
            config_path=entry.config_path,
            checkpoint_path=entry.checkpoint_path,
            device=report.label if report is not None else f"{panel.device} (not started)",
            backend=frame.backend if frame is not None else "not started",
            stage_ms=panel.stats.mean_timings() if frame is not None else {},
            source=frame.source if frame is not None else None,
            fps=panel.fps if panel.running else None,
        )

    def copy(self) -> str:
        text = diagnostics_text(self.diagnostics())
        QApplication.clipboard().setText(text)
        self.panel.status_message.emit("Diagnostics copied to the clipboard", "info")
        return text

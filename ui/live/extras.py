"""The Live tab's additions around its panes: the hint about the default model (over the panes) and
the Copy diagnostics button (under them), both fed by each painted frame, as is the alignment figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.live.diagnostics_button import DiagnosticsButton
from ui.live.model_hint import DefaultModelHint

if TYPE_CHECKING:
    from ui.live.panel import LivePanel


def live_extras(panel: LivePanel) -> tuple[DefaultModelHint, DiagnosticsButton]:
    """The hint and the button, connected to the panel's painted frames (as is the alignment figure)."""
    hint = DefaultModelHint(panel.settings, panel.model_provider)
    button = DiagnosticsButton(panel)
    panel.frame_shown.connect(hint.update_for)
    panel.frame_shown.connect(lambda frame: panel.controls.align_bar.show_figure(frame.alignment))
    return hint, button

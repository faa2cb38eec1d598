"""How the Live tab shows what its worker says: the source's state (ok, starting, waiting, lost) and
notices (errors, the avatar in use, saved files). Separate from the panel so it stays small; the panel's
slots call these in the GUI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fomm_studio.api import Notice

if TYPE_CHECKING:
    from ui.live.panel import LivePanel


def show_source_state(panel: LivePanel, state: str, text: str) -> None:
    """'ok' clears the driving pane's banner; 'starting' shows on the output pane; the rest warn."""
    if state == "ok":
        panel.driving_view.set_message("")
        panel.status_message.emit(f"Source: {text}", "info")
    elif state == "starting":
        panel.output_view.set_message(text, "info")
        panel.status_message.emit(text, "info")
    else:
        panel.driving_view.set_message(text, "warn")
        panel.status_message.emit(text, "warn")
    if state != "starting" and panel.output_view.message_kind == "info":
        panel.output_view.set_message("")  # "Loading model…" is over once the source is tried


def show_notice(panel: LivePanel, notice: Notice) -> None:
    """Errors go to the error dialog; the rest to the status line."""
    if notice.kind == "error":
        panel.error.emit(notice.text)
    elif notice.kind == "avatar":
        panel.status_message.emit(f"Avatar: {notice.text}", "info")
    else:
        panel.status_message.emit(notice.text, "info")

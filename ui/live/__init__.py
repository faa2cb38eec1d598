"""ui.live."""

"""Durations as the status texts show them (elapsed time, time left)."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """Whole seconds as '0:42', '12:05' or '1:02:03' (negative counts as 0)."""
    minutes, secs = divmod(max(round(seconds), 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

"""Side columns that scroll: wide enough for their content whether or not the scrollbar shows."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QStyle


def fit_column(scroll: QScrollArea, content_width: int) -> None:
    """Fix `scroll`'s width to `content_width` (or its content's minimum width, if wider) plus the
    vertical scrollbar, so a short window that needs the scrollbar does not clip the content's right
    edge (the horizontal scrollbar is off)."""
    content = scroll.widget()
    needed = max(content_width, content.minimumSizeHint().width() if content is not None else 0)
    extent = scroll.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, scroll)
    scroll.setFixedWidth(needed + extent + 2 * scroll.frameWidth())

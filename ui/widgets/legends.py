"""What the overlay colours mean: a tooltip per overlay and a legend that shows the scale of each
overlay that is on (the flow's colour wheel, the heatmap and occlusion colour bar, the part masks)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from fomm_studio.api import BACKGROUND_COLOR, OverlayOptions, colormap_bar, flow_legend, palette
from ui.widgets.image_view import numpy_to_qimage

OVERLAY_TIPS = {
    "keypoints": "Keypoints (dots) and their Jacobians (lines): one colour per keypoint, the same in every "
    "pane, so you can see which driving point moves which part of the avatar",
    "heatmaps": "Where the keypoint detector looks (driving pane): each keypoint's heatmap scaled to its "
    "own peak, the strongest shown; blue = nothing, red = the peak",
    "occlusion": "Occlusion map (output pane): red = copied from the warped avatar, blue = hidden in the "
    "avatar, so the generator paints it in",
    "masks": "Part masks (avatar pane): each region in the colour of the keypoint that moves it; grey = "
    "background, which does not move",
    "deformed": "The avatar warped by the dense motion, before the generator refines it (avatar pane)",
    "flow": "Motion field (output pane): colour = the direction each pixel is fetched from, brightness = "
    "how far (full = the frame's largest motion); arrows = each keypoint's motion",
}
LEGEND_SIZE = 40  # the colour wheel and the height of the bars, in pixels
TEXT_STYLE = "color: #aab1bb; font-size: 11px;"


def curve_legend_label() -> QLabel:
    """A word-wrapped label for a plot's legend, kept under the plot so it never covers a curve."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setStyleSheet("font-size: 11px; color: #aab1bb; padding: 0 6px;")
    return label


def curve_legend_html(entries: list[tuple[str, str, str]]) -> str:
    """Rich text for `curve_legend_label`: (colour, line sample such as '━━', name) per curve."""
    return " &nbsp; ".join(
        f'<span style="color:{color}">{sample}</span>&nbsp;{name}' for color, sample, name in entries
    )


class OverlayLegend(QWidget):
    """One row per overlay that has a colour scale; `show_for(options)` shows the rows of those on."""

    def __init__(self, horizontal: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        layout: QBoxLayout = QHBoxLayout(self) if horizontal else QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.rows = {
            "flow": _row(flow_legend(LEGEND_SIZE), "direction = colour\nlonger = brighter"),
            "heatmaps": _row(colormap_bar(96, 12), "heatmap: 0 … peak"),
            "occlusion": _row(colormap_bar(96, 12), "occluded … visible"),
            "masks": _row(_mask_swatches(6), "background, then one\ncolour per part"),
        }
        for name, row in self.rows.items():
            row.setToolTip(OVERLAY_TIPS[name])
            row.setVisible(False)
            layout.addWidget(row)
        if horizontal:
            layout.addStretch(1)
        self.setVisible(False)

    def show_for(self, options: OverlayOptions) -> None:
        shown = False
        for name, row in self.rows.items():
            on = bool(getattr(options, name))
            row.setVisible(on)
            shown = shown or on
        self.setVisible(shown)

    def shown(self) -> list[str]:
        """The overlays whose legend is shown (for tests and screenshots)."""
        return [name for name, row in self.rows.items() if not (row.isHidden() or self.isHidden())]


def _row(image: np.ndarray, text: str) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    picture = QLabel()
    picture.setPixmap(QPixmap.fromImage(numpy_to_qimage(image)))
    caption = QLabel(text)
    caption.setStyleSheet(TEXT_STYLE)
    layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignVCenter)
    layout.addWidget(caption, 1)
    return row


def _mask_swatches(parts: int, size: int = 12) -> np.ndarray:
    """Background grey, then the first `parts` keypoint colours, as squares in a row."""
    colors = [BACKGROUND_COLOR, *palette(parts)]
    return np.concatenate([np.full((size, size, 3), c, dtype=np.uint8) for c in colors], axis=1)

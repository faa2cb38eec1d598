"""A pane that shows one numpy RGB image, scaled to fit, with a caption and an optional message."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.widgets.theme import PANE_BG


def numpy_to_qimage(image: np.ndarray) -> QImage:
    """uint8 RGB (H, W, 3) -> an owning QImage (copied, so the array may be freed)."""
    array = np.ascontiguousarray(image)
    h, w = array.shape[:2]
    return QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ImageView(QWidget):
    """Square-ish image pane. `set_image` repaints; `set_message` draws a banner over the image."""

    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = caption
        self.message = ""
        self.message_kind = "info"
        self._pixmap: QPixmap | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(300, 300)

    def set_image(self, image: np.ndarray | None) -> None:
        self._pixmap = None if image is None else QPixmap.fromImage(numpy_to_qimage(image))
        self.update()

    def set_pixmap(self, pixmap: QPixmap | None) -> None:
        self._pixmap = pixmap
        self.update()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def set_caption(self, caption: str) -> None:
        if caption != self.caption:
            self.caption = caption
            self.update()

    def set_message(self, text: str, kind: str = "info") -> None:
        """Banner text over the pane (e.g. 'Camera not found, retrying…'); empty clears it."""
        if (text, kind) != (self.message, self.message_kind):
            self.message, self.message_kind = text, kind
            self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        frame = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        path = QPainterPath()
        path.addRoundedRect(frame, 8, 8)
        painter.fillPath(path, QColor(PANE_BG))
        painter.setClipPath(path)
        if self._pixmap is not None:
            scaled = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - scaled.width()) / 2
            y = (self.height() - scaled.height()) / 2
            painter.drawPixmap(
                QRectF(x, y, scaled.width(), scaled.height()), self._pixmap, QRectF(self._pixmap.rect())
            )
        else:
            self._draw_placeholder(painter)
        self._draw_caption(painter)
        if self.message:
            self._draw_message(painter)
        painter.end()

    def _draw_placeholder(self, painter: QPainter) -> None:
        painter.setPen(QColor("#4a505a"))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no image")

    def _draw_caption(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        rect = QRectF(8, 8, metrics.horizontalAdvance(self.caption) + 16, metrics.height() + 6)
        chip = QPainterPath()
        chip.addRoundedRect(rect, 4, 4)
        painter.fillPath(chip, QColor(0, 0, 0, 150))
        painter.setPen(QColor("#e6e9ee"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.caption)

    def _draw_message(self, painter: QPainter) -> None:
        colors = {
            "error": QColor(150, 30, 36, 215),
            "warn": QColor(140, 95, 10, 215),
            "info": QColor(20, 24, 30, 200),
        }
        font = QFont(self.font())
        painter.setFont(font)
        margin = 14
        width = self.width() - 2 * margin
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        bound = painter.fontMetrics().boundingRect(0, 0, width - 20, 1000, int(flags), self.message)
        height = bound.height() + 20
        rect = QRectF(margin, (self.height() - height) / 2, width, height)
        box = QPainterPath()
        box.addRoundedRect(rect, 6, 6)
        painter.fillPath(box, colors.get(self.message_kind, colors["info"]))
        painter.setPen(QColor("#ffffff"))
        painter.drawText(rect.adjusted(10, 10, -10, -10), int(flags), self.message)

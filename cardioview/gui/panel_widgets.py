"""The result panel's building blocks: the verdict colours, the painted probability and colour bars,
section titles and separators, and file names that may wrap.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from cardioview.render.colormaps import colormap_lut
from cardioview.render.overlay import AttentionScale

POSITIVE_COLOUR = "#ff7043"
NEGATIVE_COLOUR = "#4caf8a"
NEUTRAL_COLOUR = "#8a94a6"
CAUTION_COLOUR = "#e0b050"
COLOUR_BAR_TITLES = {
    AttentionScale.RELATIVE: "attention W, relative to this image",
    AttentionScale.ABSOLUTE: "attention W, absolute (0–1)",
}


class ProbabilityBar(QWidget):
    """A horizontal bar filled to the probability with a marker at the threshold."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.probability: float | None = None
        self.threshold = 0.5
        self.colour = QColor(NEUTRAL_COLOUR)
        self.setMinimumHeight(26)

    def set_values(self, probability: float | None, threshold: float, colour: str) -> None:
        self.probability, self.threshold, self.colour = probability, threshold, QColor(colour)
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QRectF(1, 8, self.width() - 2, 12)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#262b33"))
        painter.drawRoundedRect(track, 6, 6)
        if self.probability is not None:
            fill = QRectF(track.x(), track.y(), max(12.0, track.width() * self.probability), track.height())
            painter.setBrush(self.colour)
            painter.drawRoundedRect(fill, 6, 6)
        x = track.x() + track.width() * self.threshold
        painter.setPen(QPen(QColor("#e8ecf2"), 2))
        painter.drawLine(int(x), 2, int(x), self.height() - 2)
        painter.end()


class ColourBar(QWidget):
    """The colour map as a strip, with the W values its two ends stand for."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.colormap = "inferno"
        self.low_text = self.high_text = ""
        self.setMinimumHeight(30)

    def set_values(self, colormap: str, low_text: str, high_text: str) -> None:
        self.colormap, self.low_text, self.high_text = colormap, low_text, high_text
        self.update()

    def paintEvent(self, _event) -> None:
        lut = colormap_lut(self.colormap)
        painter = QPainter(self)
        width = self.width() - 2
        strip = QImage(bytes(np.ascontiguousarray(lut).data), 256, 1, 256 * 3, QImage.Format.Format_RGB888)
        painter.drawImage(QRectF(1, 2, width, 10), strip)
        painter.setPen(QColor(NEUTRAL_COLOUR))
        painter.drawText(QRectF(1, 14, width, 16), Qt.AlignmentFlag.AlignLeft, self.low_text)
        painter.drawText(QRectF(1, 14, width, 16), Qt.AlignmentFlag.AlignRight, self.high_text)
        painter.end()


def breakable(text: str) -> str:
    """Text whose long file names may wrap (a zero-width space after _ . / -): an unbreakable
    name would otherwise widen the whole panel past the window."""
    for mark in "_./-":
        text = text.replace(mark, mark + "\u200b")
    return text


def section_title(title: str) -> QLabel:
    """A section's heading in the panel (upper case, styled as sectionTitle)."""
    label = QLabel(title.upper())
    label.setObjectName("sectionTitle")
    return label


def separator() -> QFrame:
    """The thin line between two sections."""
    line = QFrame()
    line.setObjectName("separator")
    line.setFrameShape(QFrame.Shape.HLine)
    return line

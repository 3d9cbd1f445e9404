"""Cardiothoracic ratio calipers: two draggable horizontal lines on the canvas, kept in ViewState.

The CTR compares transverse (horizontal) widths, so each line stays
horizontal: dragging one end moves the whole line to that end's height.
"""

from __future__ import annotations

from contextlib import contextmanager

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF

from cardioview.anatomy.cardiothoracic_ratio import Caliper
from cardioview.gui.state import CardiothoracicMeasurement, ViewState
from cardioview.render.anatomy_overlay import CALIPER_COLOURS

_NAMES = {"heart": "Cardiac", "thorax": "Thoracic"}
#: TextItem anchors: the label's box just above / just below its line.
ABOVE, BELOW = (0.5, 1.25), (0.5, -0.25)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class CaliperOverlay:
    """Draws the current image's measurement and writes user drags back to the state.

    Args:
        viewbox: the canvas view box (image pixel coordinates).
        state: the viewer state holding one measurement per image.
    """

    def __init__(self, viewbox: pg.ViewBox, state: ViewState):
        self.viewbox = viewbox
        self.state = state
        self._rois: dict[str, pg.LineSegmentROI] = {}
        self._labels: dict[str, pg.TextItem] = {}
        self._updating = False
        for name, (rgb, _) in CALIPER_COLOURS.items():
            colour = _hex(rgb)
            roi = pg.LineSegmentROI(
                positions=[(0, 0), (1, 0)],
                pen=pg.mkPen(colour, width=2.5),
                hoverPen=pg.mkPen(colour, width=4),
                handlePen=pg.mkPen(colour, width=2),
            )
            roi.setZValue(10)
            roi.sigRegionChanged.connect(self._on_dragged)
            label = pg.TextItem(_NAMES[name], color=colour, fill=pg.mkBrush(8, 10, 13, 170), anchor=ABOVE)
            label.setZValue(11)
            viewbox.addItem(roi)
            viewbox.addItem(label)
            self._rois[name], self._labels[name] = roi, label
        state.image_changed.connect(self.refresh)
        state.measurement_changed.connect(self.refresh)
        self.refresh()

    @contextmanager
    def _updating_rois(self):
        self._updating = True
        try:
            yield
        finally:
            self._updating = False

    def refresh(self) -> None:
        """Show the state's measurement of the current image, or hide the lines."""
        measurement = self.state.measurement()
        for name in self._rois:
            self._rois[name].setVisible(measurement is not None)
            self._labels[name].setVisible(measurement is not None)
        if measurement is None:
            return
        with self._updating_rois():
            for name, caliper in (("heart", measurement.heart), ("thorax", measurement.thorax)):
                roi = self._rois[name]
                for handle, x in zip(roi.getHandles()[:2], (caliper.x0, caliper.x1)):
                    target = QPointF(x, caliper.y)
                    # Leave a handle alone when it is already there: during a drag it is
                    # the one under the mouse, and pyqtgraph keeps moving it.
                    if (roi.mapToParent(handle.pos()) - target).manhattanLength() > 1e-6:
                        roi.movePoint(handle, target, finish=False, coords="parent")
                self._labels[name].setText(f"{_NAMES[name]} {self._width_text(caliper)}")
                self._labels[name].setPos((caliper.x0 + caliper.x1) / 2, caliper.y)
        self._place_labels(measurement)

    def _place_labels(self, measurement: CardiothoracicMeasurement) -> None:
        """The upper line's label above it, the lower line's below it: however close the lines are,
        the two labels sit on opposite sides of the pair and neither covers the other line.
        (Compared on screen, so a flipped view box is handled too.)"""

        def screen_y(caliper: Caliper) -> float:
            return self.viewbox.mapViewToScene(QPointF(caliper.x0, caliper.y)).y()

        heart_higher = screen_y(measurement.heart) < screen_y(measurement.thorax)
        self._labels["heart"].setAnchor(ABOVE if heart_higher else BELOW)
        self._labels["thorax"].setAnchor(BELOW if heart_higher else ABOVE)

    def label_rects(self) -> dict[str, QRectF]:
        """Each visible label's box in scene coordinates (what the user sees; tests compare them)."""
        return {name: label.sceneBoundingRect() for name, label in self._labels.items() if label.isVisible()}

    def _width_text(self, caliper: Caliper) -> str:
        xray = self.state.current_xray
        if xray is not None and xray.pixel_spacing:
            return f"{caliper.width * xray.pixel_spacing[1]:.0f} mm"
        return f"{caliper.width:.0f} px"

    def _caliper(self, name: str, old: Caliper) -> Caliper:
        roi = self._rois[name]
        start, end = (roi.mapToParent(h.pos()) for h in roi.getHandles()[:2])
        if abs(start.y() - end.y()) < 1e-6:
            y = start.y()
        else:  # one end was dragged: the line follows that end's height
            y = start.y() if abs(start.y() - old.y) > abs(end.y() - old.y) else end.y()
        return Caliper(float(start.x()), float(end.x()), float(y))

    def _on_dragged(self, *_args) -> None:
        old = self.state.measurement()
        if self._updating or old is None:
            return
        self.state.set_measurement(
            CardiothoracicMeasurement(
                heart=self._caliper("heart", old.heart), thorax=self._caliper("thorax", old.thorax)
            )
        )

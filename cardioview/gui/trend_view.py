"""The trend view (issue 23): every study of the patient, CTR and P over time, with pyqtgraph.

Date on x (a date axis), CTR (blue circles) and P (orange squares) on one 0-1 axis, the 0.50 CTR line and the
decision threshold dashed; each point is labelled with its view (AP/PA) and a mixed trend carries a caution.
Clicking a point opens that film in the main window. Films not yet analysed are analysed as the view opens.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

from cardioview.comparison.films import FilmRecord, by_patient
from cardioview.comparison.trend import mixed_views

CTR_COLOUR, P_COLOUR = (31, 119, 180), (230, 120, 20)
CTR_LIMIT = 0.5


def timestamp(film: FilmRecord) -> float:
    """Seconds since 1970 (UTC) of the film's study date and time; 0 when the date is not a date."""
    date, time = film.when
    try:
        return datetime(
            int(date[:4]), int(date[4:6]), int(date[6:8]), int(time[:2]), int(time[2:4]), tzinfo=UTC
        ).timestamp()
    except ValueError:
        return 0.0


class TrendWindow(QDialog):
    """The trend of one patient; ``films()`` gives the patient's films with their current results."""

    def __init__(self, controller, patient_label: str, films):
        super().__init__(controller.window)
        self.setObjectName("trendWindow")
        self.setWindowTitle(f"CardioView — trend: {patient_label}")
        self.controller, self.window_, self._films = controller, controller.window, films
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")}, background="#14161a")
        self.plot.setObjectName("trendPlot")
        self.plot.setYRange(0, 1, padding=0.05)
        self.plot.setLabel("left", "CTR · P(cardiomegaly)")
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.plot.addLegend(offset=(10, 10))
        self.plot.setMouseEnabled(x=True, y=False)
        self.ctr_line = pg.InfiniteLine(
            CTR_LIMIT,
            angle=0,
            pen=pg.mkPen(CTR_COLOUR, style=Qt.PenStyle.DashLine),
            label="CTR 0.50",
            labelOpts={"position": 0.95, "color": CTR_COLOUR},
        )
        self.threshold_line = pg.InfiniteLine(
            self.window_.state.threshold,
            angle=0,
            pen=pg.mkPen(P_COLOUR, style=Qt.PenStyle.DashLine),
            label="threshold {value:.2f}",
            labelOpts={"position": 0.05, "color": P_COLOUR},
        )
        self.plot.addItem(self.ctr_line)
        self.plot.addItem(self.threshold_line)
        self.ctr_curve = self.plot.plot(
            [], [], pen=pg.mkPen(CTR_COLOUR, width=2), symbol="o", symbolSize=11, symbolBrush=CTR_COLOUR, name="CTR"
        )
        self.p_curve = self.plot.plot(
            [],
            [],
            pen=pg.mkPen(P_COLOUR, width=2),
            symbol="s",
            symbolSize=10,
            symbolBrush=P_COLOUR,
            name="P(cardiomegaly)",
        )
        for curve in (self.ctr_curve, self.p_curve):
            curve.scatter.sigClicked.connect(self._on_clicked)
        self.labels: list[pg.TextItem] = []
        self.caution = QLabel()
        self.caution.setObjectName("trendCaution")
        self.caution.setWordWrap(True)
        self.caution.setStyleSheet("color: #f0a030")
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caution)
        self.window_.state.prediction_changed.connect(self._on_prediction)
        self.window_.state.threshold_changed.connect(self.refresh)
        self.refresh()

    def points(self) -> list[FilmRecord]:
        """The patient's films, oldest first (one patient: by_patient keeps the trendable ones)."""
        groups = by_patient(self._films())
        return next(iter(groups.values()), [])

    def refresh(self) -> None:
        films = self.points()
        self.threshold_line.setValue(self.window_.state.threshold)
        for attr, curve in (("ctr", self.ctr_curve), ("probability", self.p_curve)):
            shown = [f for f in films if getattr(f, attr) is not None]
            curve.setData([timestamp(f) for f in shown], [getattr(f, attr) for f in shown], data=[f.key for f in shown])
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        for film in films:
            for value in (film.ctr, film.probability):
                if value is not None:
                    label = pg.TextItem(film.view or "?", color="#d0d4da", anchor=(0.5, 1.3))
                    label.setPos(timestamp(film), value)
                    self.plot.addItem(label)
                    self.labels.append(label)
        times = [timestamp(f) for f in films]
        if times:  # every study in view, with room for the line labels at both ends
            pad = max((max(times) - min(times)) * 0.08, 86400 * 15)
            self.plot.setXRange(min(times) - pad, max(times) + pad, padding=0)
        waiting = sum(f.probability is None and f.key not in self.window_.state.predictions for f in films)
        notes = []
        if mixed_views(films):
            notes.append("⚠ AP and PA films mixed: AP magnifies the heart, so their CTRs are not comparable.")
        if waiting:
            notes.append(f"Analysing {waiting} film(s)…")
        self.caution.setText(" ".join(notes) or f"{len(films)} studies")

    def _on_prediction(self, key: str) -> None:
        if any(f.key == key for f in self.points()):
            self.refresh()

    def _on_clicked(self, _scatter, points, *_args) -> None:
        if len(points):
            self.window_.browser.select(points[0].data())  # opens the film in the main window

    def closeEvent(self, event) -> None:
        self.window_.state.prediction_changed.disconnect(self._on_prediction)
        self.window_.state.threshold_changed.disconnect(self.refresh)
        super().closeEvent(event)

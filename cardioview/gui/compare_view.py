"""Compare with prior (issue 23): the patient's prior film beside the current one.

Two panes (prior left, current right: time runs left to right, as in the trend view), each an XRayCanvas with
the heat map, the heart/lung outlines and the calipers of its own result. Zoom and pan, and window/level, are
linked (each can be unlinked): a pan or zoom maps the same part of the chest, by image fraction, onto the other
film; a window/level drag moves the other film's window by the same fraction of its default window. The bar
above says the change in CTR and P, with a caution when the views differ (AP magnifies the heart).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from cardioview.comparison.change import compare, iso_date, signed
from cardioview.comparison.films import FilmRecord, film_from
from cardioview.gui.anatomy_view import measurement_from, outline_rgba
from cardioview.gui.canvas import XRayCanvas
from cardioview.gui.display_window import DisplayWindow
from cardioview.gui.state import ViewState


class ComparePane(QWidget):
    """One film of the comparison: caption, canvas, outlines, calipers."""

    def __init__(self, title: str, threshold: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.state = ViewState(threshold=threshold)
        self.canvas = XRayCanvas(self.state)
        self.canvas.setMinimumSize(200, 200)
        self.outlines = pg.ImageItem(axisOrder="row-major")
        self.outlines.setZValue(5)
        self.outlines.setOpacity(0.8)
        self.canvas.viewbox.addItem(self.outlines)
        self.caption = QLabel(title)
        self.caption.setObjectName("compareCaption")
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        self.key: str | None = None

    def show_film(self, key: str, xray) -> None:
        self.key = key
        self.state.set_current(key, xray)

    def set_result(self, prediction, film: FilmRecord) -> None:
        """Draw ``prediction`` (heat map, outlines, automatic calipers) and the caption of ``film``."""
        if prediction is not None and self.key is not None:
            self.state.add_prediction(self.key, prediction)
            anatomy = getattr(prediction, "anatomy", None)
            shown = prediction.applicable and anatomy is not None and anatomy.ctr is not None
            if shown:
                self.outlines.setImage(outline_rgba(anatomy), autoLevels=False, levels=(0, 255))
                self.outlines.setRect(0, 0, anatomy.shape[1], anatomy.shape[0])
                self.state.set_measurement(measurement_from(anatomy))
            self.outlines.setVisible(shown)
        else:
            self.outlines.setVisible(False)  # a newly picked prior: no outlines of the previous one
        self.caption.setText(caption(self.title, film, analysed=prediction is not None))


def caption(title: str, film: FilmRecord, analysed: bool) -> str:
    """'<b>Prior</b> 2019-03-10 · AP · P 0.92 · CTR 0.59' (or 'analysing…')."""
    parts = [f"<b>{title}</b>", iso_date(film.study_date) or "no date", film.view or "view unknown"]
    if not analysed:
        parts.append("analysing…")
    else:
        parts.append(f"P {film.probability:.2f}" if film.probability is not None else "not applicable")
        parts.append(f"CTR {film.ctr:.2f}" if film.ctr is not None else "no CTR")
    return " · ".join(parts)


class CompareWindow(QDialog):
    """The current film and a prior of the same patient side by side.

    Args:
        controller: the ComparisonActions (window, patient films, film analyser).
        current: the film on screen; candidates: the patient's other films, any of which the user may pick;
        prior: the one shown first (the most recent earlier study).
    """

    def __init__(self, controller, current: FilmRecord, candidates: list[FilmRecord], prior: FilmRecord):
        super().__init__(controller.window)
        self.setWindowTitle("CardioView — compare with prior")
        self.setObjectName("compareWindow")
        self.controller, self.window_ = controller, controller.window
        self.current, self.candidates = current, candidates
        threshold = self.window_.state.threshold
        self.prior_pane = ComparePane("Prior", threshold)
        self.current_pane = ComparePane("Current", threshold)
        self.picker = QComboBox()
        self.picker.setObjectName("priorPicker")
        for film in candidates:
            self.picker.addItem(f"{iso_date(film.study_date)} · {film.view or '?'} · {film.path.name}", film.key)
        self.link_view = QCheckBox("Link zoom / pan")
        self.link_window = QCheckBox("Link window / level")
        for box in (self.link_view, self.link_window):
            box.setChecked(True)
        self.change_label = QLabel()
        self.change_label.setObjectName("compareChange")
        self.change_label.setTextFormat(Qt.TextFormat.RichText)
        self.change_label.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Prior:"))
        bar.addWidget(self.picker, 1)
        bar.addWidget(self.link_view)
        bar.addWidget(self.link_window)
        panes = QHBoxLayout()
        panes.addWidget(self.prior_pane, 1)
        panes.addWidget(self.current_pane, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.change_label)
        layout.addLayout(panes, 1)

        self._syncing = False
        for source, target in ((self.prior_pane, self.current_pane), (self.current_pane, self.prior_pane)):
            source.canvas.viewbox.sigRangeChangedManually.connect(lambda *_, s=source, t=target: self._sync_view(s, t))
            source.canvas.window_changed.connect(lambda _text, s=source, t=target: self._sync_window(s, t))
        self.link_view.toggled.connect(lambda on: on and self._sync_view(self.current_pane, self.prior_pane))
        self.link_window.toggled.connect(lambda on: on and self._sync_window(self.current_pane, self.prior_pane))
        controller.analyser.loaded.connect(self._on_loaded)
        controller.analyser.failed.connect(self._on_failed)
        self.window_.state.prediction_changed.connect(self._on_prediction)
        self.picker.currentIndexChanged.connect(lambda _i: self.set_prior(self.picker.currentData()))
        self.current_pane.show_film(current.key, self.window_.state.current_xray)
        self.set_prior(prior.key)
        self._refresh()

    # -- films -----------------------------------------------------------------
    def set_prior(self, key: str) -> None:
        film = next(f for f in self.candidates if f.key == key)
        self.prior = film
        if self.picker.currentData() != key:
            self.picker.setCurrentIndex(self.picker.findData(key))
        self.prior_pane.key = key
        self.prior_pane.state.set_current(key, None)
        self.prior_pane.canvas.show_message("Loading…")
        self.controller.analyser.load(key, film.path)
        self._refresh()

    def _on_loaded(self, key: str, xray) -> None:
        if key == self.prior.key:
            self.prior_pane.show_film(key, xray)
            self._refresh()
            self._sync_view(self.current_pane, self.prior_pane)

    def _on_failed(self, key: str, reason: str) -> None:
        if key == self.prior.key:
            self.prior_pane.canvas.show_message(f"Cannot show the prior<br>{reason}")

    def _on_prediction(self, key: str) -> None:
        if key in (self.prior.key, self.current.key):
            self._refresh()

    def _film(self, pane: ComparePane, film: FilmRecord) -> FilmRecord:
        """``film`` with the window's current result (and the reader's calipers, when placed)."""
        state = self.window_.state
        measurement = state.measurements.get(film.key)
        meta = pane.state.current_xray.metadata if pane.state.current_xray is not None else None
        if meta is None:
            return film
        return film_from(
            meta,
            film.path,
            state.prediction(film.key),
            film.key,
            ctr=measurement.ratio if measurement is not None else None,
        )

    def _refresh(self) -> None:
        state = self.window_.state
        current, prior = self._film(self.current_pane, self.current), self._film(self.prior_pane, self.prior)
        self.current_pane.set_result(state.prediction(self.current.key), current)
        self.prior_pane.set_result(state.prediction(self.prior.key), prior)
        self.change_label.setText(change_text(current, prior))

    # -- linking -----------------------------------------------------------------
    def _sync_view(self, source: ComparePane, target: ComparePane) -> None:
        """Show on ``target`` the part of its film that ``source`` shows of its own (by fraction of the film)."""
        a, b = source.state.current_xray, target.state.current_xray
        if self._syncing or not self.link_view.isChecked() or a is None or b is None:
            return
        rect = source.canvas.viewbox.viewRect()
        fx, fy = b.shape[1] / a.shape[1], b.shape[0] / a.shape[0]
        self._syncing = True
        try:
            target.canvas.viewbox.setRange(
                xRange=(rect.left() * fx, rect.right() * fx), yRange=(rect.top() * fy, rect.bottom() * fy), padding=0
            )
        finally:
            self._syncing = False

    def _sync_window(self, source: ComparePane, target: ComparePane) -> None:
        """Move ``target``'s window by the same fraction of its default window as ``source`` moved from its own."""
        a, b = source.canvas, target.canvas
        if self._syncing or not self.link_window.isChecked() or not a.presets or not b.presets:
            return
        a0, b0, now = a.presets[0], b.presets[0], a.grey_window
        scale = b0.width / max(a0.width, 1e-6)
        window = DisplayWindow(b0.center + (now.center - a0.center) * scale, now.width * scale, "linked")
        if b.grey_window is not None and (
            abs(b.grey_window.center - window.center) < 1e-6 and abs(b.grey_window.width - window.width) < 1e-6
        ):
            return
        self._syncing = True
        try:
            b.set_window(window)
        finally:
            self._syncing = False

    def closeEvent(self, event) -> None:
        self.window_.state.prediction_changed.disconnect(self._on_prediction)
        self.controller.analyser.loaded.disconnect(self._on_loaded)
        self.controller.analyser.failed.disconnect(self._on_failed)
        super().closeEvent(event)


def change_text(current: FilmRecord, prior: FilmRecord) -> str:
    """The bar's text: CTR and P change since the prior, and the AP/PA caution in orange."""
    change = compare(current, prior)
    ctr = (
        f"CTR {prior.ctr:.2f} → {current.ctr:.2f} ({signed(change.ctr_change)})"
        if change.ctr_change is not None
        else "CTR change: not measured on both"
    )
    p = (
        f"P {prior.probability:.2f} → {current.probability:.2f} ({signed(change.probability_change)})"
        if change.probability_change is not None
        else "P change: not analysed on both"
    )
    text = f"<b>Change since {iso_date(prior.study_date)}:</b> {ctr} &nbsp;·&nbsp; {p}"
    if change.caution:
        text += f"<br><span style='color:#f0a030'>⚠ {change.caution}</span>"
    return text

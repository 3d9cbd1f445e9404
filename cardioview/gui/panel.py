"""The result panel: probability, threshold, heat-map controls, CTR and model facts.

Every control writes to the ViewState and every label redraws from it, so a
threshold or opacity change is a redraw, never an inference.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from cardioview.anatomy.cardiothoracic_ratio import CTR_LIMIT
from cardioview.gui.panel_widgets import (
    CAUTION_COLOUR,
    COLOUR_BAR_TITLES,
    NEGATIVE_COLOUR,
    NEUTRAL_COLOUR,
    POSITIVE_COLOUR,
    ColourBar,
    ProbabilityBar,
    breakable,
    section_title,
    separator,
)
from cardioview.gui.state import CardiothoracicMeasurement, ViewState
from cardioview.gui.threshold_field import ThresholdControls
from cardioview.gui.worker import ModelInfo
from cardioview.render.colormaps import COLORMAPS
from cardioview.render.overlay import AttentionScale


class ResultPanel(QWidget):
    """Right-hand panel bound to a ViewState.

    Signals:
        measure_toggled(bool): the user asked to start/stop CTR calipers.
    """

    measure_toggled = Signal(bool)

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("resultPanel")
        self.state = state
        self.model_info: ModelInfo | None = None
        self._status = "Open an image to analyse it"

        self.banner = QLabel()
        self.banner.setObjectName("useBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.probability_label = QLabel("–")
        self.probability_label.setObjectName("probability")
        self.bar = ProbabilityBar()
        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("verdict")
        self.verdict_label.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setObjectName("hint")
        self.status_label.setWordWrap(True)
        # Not applicable (MR, knee, lateral...): no verdict; the model output only on request, greyed.
        self.reveal_button = QPushButton("Show model output anyway")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setObjectName("revealOutput")
        self.reveal_button.hide()
        self.reveal_button.toggled.connect(lambda _on: self.refresh())

        # Slider, typed field (refuses values outside (0, 1) with a message), Reset to model default.
        self.threshold_controls = ThresholdControls(state)
        self.threshold_slider = self.threshold_controls.slider
        self.threshold_field = self.threshold_controls.field
        self.threshold_spin = self.threshold_field  # the former spin box's name (same value/setValue API)
        self.operating_label = QLabel()
        self.operating_label.setObjectName("hint")
        self.operating_label.setWordWrap(True)

        self.heat_button = QPushButton("Heat map  (H)")
        self.heat_button.setCheckable(True)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_value = QLabel()
        self.opacity_value.setFixedWidth(40)
        self.colormap_combo = QComboBox()
        self.colormap_combo.addItems(COLORMAPS)
        self.scale_combo = QComboBox()
        self.scale_combo.addItem("Relative (this image)", AttentionScale.RELATIVE.value)
        self.scale_combo.addItem("Absolute (0–1)", AttentionScale.ABSOLUTE.value)
        self.range_label = QLabel()
        self.range_label.setObjectName("hint")
        self.range_label.setWordWrap(True)
        self.colour_bar = ColourBar()
        self.colour_bar_title = QLabel()  # says what the colours stand for
        self.colour_bar_title.setObjectName("hint")
        self.attention_note_label = QLabel()
        self.attention_note_label.setObjectName("hint")
        self.attention_note_label.setWordWrap(True)
        self.attention_note_label.hide()

        self.measure_button = QPushButton("Measure CTR")
        self.measure_button.setCheckable(True)
        self.ctr_label = QLabel("Drag the cardiac and thoracic lines")
        self.ctr_label.setObjectName("hint")
        self.ctr_label.setWordWrap(True)

        self.model_label = QLabel("Loading model…")
        self.model_label.setObjectName("modelInfo")
        self.model_label.setWordWrap(True)
        self.model_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._build_layout()
        self._keep_minimum_heights()
        self._connect()
        self._sync_controls()
        self.refresh()

    def _build_layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(section_title("Cardiomegaly probability"))
        layout.addWidget(self.probability_label)
        layout.addWidget(self.bar)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.reveal_button)
        layout.addWidget(self.status_label)
        layout.addWidget(separator())
        layout.addWidget(section_title("Decision threshold"))
        layout.addWidget(self.threshold_controls)
        layout.addWidget(self.operating_label)
        layout.addWidget(separator())
        layout.addWidget(section_title("Attention map"))
        layout.addWidget(self.heat_button)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.addWidget(QLabel("Opacity"), 0, 0)
        grid.addWidget(self.opacity_slider, 0, 1)
        grid.addWidget(self.opacity_value, 0, 2)
        grid.addWidget(QLabel("Colours"), 1, 0)
        grid.addWidget(self.colormap_combo, 1, 1, 1, 2)
        grid.addWidget(QLabel("Scale"), 2, 0)
        grid.addWidget(self.scale_combo, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        layout.addWidget(self.colour_bar_title)
        layout.addWidget(self.colour_bar)
        layout.addWidget(self.range_label)
        layout.addWidget(self.attention_note_label)
        layout.addWidget(separator())
        layout.addWidget(section_title("Cardiothoracic ratio"))
        layout.addWidget(self.measure_button)
        layout.addWidget(self.ctr_label)
        self._ctr_rows = QVBoxLayout()  # add_ctr_row's rows: the segmenter's outline controls
        layout.addLayout(self._ctr_rows)
        layout.addStretch(1)
        layout.addWidget(separator())
        layout.addWidget(section_title("Model"))
        layout.addWidget(self.model_label)

    def add_ctr_row(self, widget: QWidget) -> None:
        """Show ``widget`` as a row under the CTR line."""
        self._ctr_rows.addWidget(widget)

    def _keep_minimum_heights(self) -> None:
        """No control is ever squeezed below its own size hint (the panel scrolls instead)."""
        for widget in (
            self.threshold_slider,
            self.threshold_field,
            self.threshold_controls.reset_button,
            self.heat_button,
            self.opacity_slider,
            self.colormap_combo,
            self.scale_combo,
            self.measure_button,
            self.reveal_button,
            self.probability_label,
            self.verdict_label,
        ):
            widget.ensurePolished()  # the style sheet sets fonts and paddings: measure after it
            widget.setMinimumHeight(widget.sizeHint().height())

    def _connect(self) -> None:
        s = self.state
        self.heat_button.toggled.connect(s.set_heatmap_visible)
        self.opacity_slider.valueChanged.connect(lambda v: s.set_opacity(v / 100.0))
        self.colormap_combo.currentTextChanged.connect(s.set_colormap)
        self.scale_combo.currentIndexChanged.connect(lambda i: s.set_scale(self.scale_combo.itemData(i)))
        self.measure_button.toggled.connect(self._toggle_measure)
        for event in (s.image_changed, s.threshold_changed, s.display_changed, s.measurement_changed):
            event.connect(self.refresh)
        s.display_changed.connect(self._sync_controls)
        s.prediction_changed.connect(lambda key: self.refresh() if key == s.current_key else None)

    # -- state -> controls ---------------------------------------------------
    def _sync_controls(self) -> None:
        s = self.state
        for widget, value in (
            (self.opacity_slider, round(s.opacity * 100)),
            (self.heat_button, s.heatmap_visible),
            (self.colormap_combo, s.colormap),
            (self.scale_combo, self.scale_combo.findData(s.scale.value)),
        ):
            widget.blockSignals(True)
            if isinstance(widget, QPushButton):
                widget.setChecked(value)
            elif isinstance(widget, QComboBox) and isinstance(value, str):
                widget.setCurrentText(value)
            elif isinstance(widget, QComboBox):
                widget.setCurrentIndex(value)
            else:
                widget.setValue(value)
            widget.blockSignals(False)
        self.opacity_value.setText(f"{s.opacity:.0%}")

    def set_status(self, text: str) -> None:
        """The line under the verdict: 'Analysing…', 'No model', an error..."""
        self._status = breakable(text)
        self.refresh()

    def set_model_info(self, info: ModelInfo | None, error: str | None = None) -> None:
        self.model_info = info
        self.threshold_controls.set_default(info.threshold if info else None)
        self._show_attention_note(info.attention_note if info else "", info is not None and info.attention_validated)
        if info is None:
            headline = (error or "not loaded").split(":")[0]
            self.model_label.setText(f"<span style='color:{POSITIVE_COLOUR}'>No model — {headline}</span>")
            self.model_label.setToolTip(error or "")
            self.banner.hide()
        else:
            name, _, digest = info.model_id.partition("@")
            self.model_label.setText(
                f"<b>{name}</b> <span style='color:{NEUTRAL_COLOUR}'>#{digest}</span><br>{info.backend} · {info.device}"
            )
            if info.intended_use != "clinical":
                # "unsigned research weights" (no trusted signature) or the signed bundle's declared use
                use = info.intended_use.upper()
                headline = use if use.startswith("UNSIGNED") else f"{use} USE ONLY"
                self.banner.setText(f"<b>{headline}</b> — these weights are not cleared for clinical diagnosis.")
                self.banner.show()
            else:
                self.banner.hide()
        self.refresh()

    def _show_attention_note(self, note: str, validated: bool) -> None:
        """How far this model's attention map was shown to localise (from its manifest)."""
        self.attention_note_label.setText(note)
        self.attention_note_label.setVisible(bool(note))
        self.attention_note_label.setStyleSheet("" if validated else f"color: {CAUTION_COLOUR}")
        self.attention_note_label.setToolTip(
            "Measured on held-out cardiomegaly films when the weights were built: how often the peak of W "
            "falls inside the usual cardiac region, and how often hiding the most-attended 20 % of the film "
            "lowers the probability more than hiding a random area of the same size. See the model card."
        )

    def refresh(self) -> None:
        s = self.state
        self.colour_bar_title.setText(COLOUR_BAR_TITLES[s.scale])
        prediction = s.prediction()
        applicable = prediction is None or prediction.applicable
        self.reveal_button.setVisible(not applicable)
        if applicable and self.reveal_button.isChecked():
            self.reveal_button.blockSignals(True)
            self.reveal_button.setChecked(False)  # every not-applicable image starts hidden again
            self.reveal_button.blockSignals(False)
        self.probability_label.setToolTip(prediction.probability_note if prediction is not None and applicable else "")
        if prediction is not None and not applicable:
            self._show_not_applicable(prediction)
        elif prediction is None:
            self.probability_label.setText("–")
            self.probability_label.setStyleSheet(f"color: {NEUTRAL_COLOUR}")
            self.verdict_label.setText("")
            self.bar.set_values(None, s.threshold, NEUTRAL_COLOUR)
            self.status_label.setText(self._status)
            self.range_label.setText("")
            self.colour_bar.set_values(s.colormap, "", "")
        else:
            colour = POSITIVE_COLOUR if prediction.positive else NEGATIVE_COLOUR
            self.probability_label.setText(f"{prediction.probability * 100:.1f}<span style='font-size:18pt'> %</span>")
            self.probability_label.setStyleSheet(f"color: {colour}")
            verdict = "POSITIVE · cardiomegaly suggested" if prediction.positive else "NEGATIVE · no cardiomegaly"
            self.verdict_label.setText(verdict)
            self.verdict_label.setStyleSheet(f"color: {colour}")
            self.bar.set_values(prediction.probability, s.threshold, colour)
            self.status_label.setText(f"{prediction.elapsed_ms:.0f} ms · input {prediction.input_size[1]} px")
            low, high = float(prediction.attention.min()), float(prediction.attention.max())
            relative = s.scale is AttentionScale.RELATIVE
            ends = (low, high) if relative else (0.0, 1.0)
            self.colour_bar.set_values(s.colormap, f"W {ends[0]:.3f}", f"{ends[1]:.3f}")
            self.range_label.setText(
                "Stretched to this image's attention range"
                if relative
                else f"Absolute attention; this image spans W {low:.3f}–{high:.3f}"
            )
        self._refresh_operating_point()
        self._refresh_ctr()

    def _show_not_applicable(self, prediction) -> None:
        """No verdict: the reason in the verdict line; the number greyed, and only when asked for."""
        s = self.state
        self.verdict_label.setText(breakable(f"Not applicable: {prediction.not_applicable}"))
        self.verdict_label.setStyleSheet(f"color: {CAUTION_COLOUR}")
        shown = self.reveal_button.isChecked()
        self.probability_label.setText(
            f"{prediction.probability * 100:.1f}<span style='font-size:18pt'> %</span>" if shown else "n/a"
        )
        self.probability_label.setStyleSheet(f"color: {NEUTRAL_COLOUR}")
        self.bar.set_values(prediction.probability if shown else None, s.threshold, NEUTRAL_COLOUR)
        self.reveal_button.setText("Hide model output" if shown else "Show model output anyway")
        self.status_label.setText(
            "The model reads frontal chest radiographs only: its output means nothing here."
            if shown
            else "No verdict for this image"
        )
        self.range_label.setText("")
        self.colour_bar.set_values(s.colormap, "", "")

    def _refresh_operating_point(self) -> None:
        info = self.model_info
        if info is None:
            self.operating_label.setText("")
            return
        text = f"Model default {info.threshold:.3f}"
        op = info.operating_point
        if op and "sensitivity" in op and "specificity" in op:
            at = "" if abs(self.state.threshold - info.threshold) < 5e-4 else " (at the default)"
            text += f" · validation sensitivity {op['sensitivity']:.2f}, specificity {op['specificity']:.2f}{at}"
        xray = self.state.current_xray
        view = xray.metadata.view_position.strip().upper() if xray is not None else ""
        view_op = info.view_operating_points.get(view) if view else None
        if view_op:
            at = "" if abs(self.state.threshold - info.threshold) < 5e-4 else " (at the default)"
            text += (
                f"\n{view} film: figures differ · sensitivity {view_op['sensitivity']:.2f}, specificity "
                f"{view_op['specificity']:.2f} on {view_op['films']} test films estimated {view}{at}"
            )
        self.operating_label.setText(text)

    def _refresh_ctr(self) -> None:
        measurement = self.state.measurement()
        self.measure_button.blockSignals(True)
        self.measure_button.setChecked(measurement is not None)
        self.measure_button.setText("Remove CTR calipers" if measurement is not None else "Measure CTR  (M)")
        self.measure_button.setEnabled(self.state.current_xray is not None)
        self.measure_button.blockSignals(False)
        if measurement is None:
            self.ctr_label.setText("Place calipers on the widest heart and inner chest diameters")
            self.ctr_label.setStyleSheet("")
            return
        ratio = measurement.ratio
        if not measurement.placed:
            self.ctr_label.setText(
                "Drag the heart (blue) and thorax (yellow) lines into place: the ratio appears once they are moved"
            )
            self.ctr_label.setStyleSheet("")
            return
        if ratio is None:
            self.ctr_label.setText("CTR: the thoracic line has no length")
            return
        flag = f" — above {CTR_LIMIT:.2f}" if measurement.enlarged else ""
        self.ctr_label.setText(f"<span style='font-size:16pt'><b>CTR {ratio:.2f}</b></span>{flag}")
        self.ctr_label.setStyleSheet(f"color: {POSITIVE_COLOUR if measurement.enlarged else NEGATIVE_COLOUR}")

    def _toggle_measure(self, on: bool) -> None:
        xray = self.state.current_xray
        if on and xray is not None and self.state.measurement() is None:
            self.state.set_measurement(CardiothoracicMeasurement.default_for(xray))
        elif not on:
            self.state.set_measurement(None)
        self.measure_toggled.emit(on)

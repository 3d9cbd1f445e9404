"""The decision-threshold box: typed values that cannot silently change a reading.

A QDoubleSpinBox read "0,5" as 0 under an English locale and clamped "1.5" to 1.000 without a word.
This field parses the locale's decimal separator and a dot alike, applies a value only on Enter
(or when focus leaves), refuses anything outside the open interval (0, 1) with a visible message,
and hands keyboard focus back (``committed``) so Up/Down browse films again instead of stepping it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSlider, QVBoxLayout, QWidget

THRESHOLD_DECIMALS = 3
SLIDER_STEPS = 1000
ERROR_COLOUR = "#ff7043"


def parse_threshold(text: str, locale: QLocale | None = None) -> tuple[float | None, str]:
    """(value, "") for a threshold strictly between 0 and 1, else (None, why not).

    Args:
        text: what the user typed: "0.5", "0,5" (locale separator or a dot), ".5", " 0.5 ".
        locale: whose decimal separator is accepted besides the dot (default: the application's).
    """
    cleaned = text.strip().replace(" ", "")
    if not cleaned:
        return None, "Type a threshold between 0 and 1, e.g. 0.5"
    separator = (locale or QLocale()).decimalPoint()
    if separator and separator != ".":
        cleaned = cleaned.replace(separator, ".")
    cleaned = cleaned.replace(",", ".")  # a comma is a decimal separator here, never a thousands one
    try:
        value = float(cleaned)
    except ValueError:
        return None, f"“{text.strip()}” is not a number: type a threshold between 0 and 1, e.g. 0.5"
    if not math.isfinite(value) or not 0.0 < value < 1.0:
        return None, (
            f"{text.strip()} is outside the allowed range: the threshold must be above 0 and "
            "below 1 (0 would call every film positive, 1 none)"
        )
    return value, ""


def format_threshold(value: float, locale: QLocale | None = None) -> str:
    """The threshold as the field shows it, with the locale's decimal separator."""
    return (locale or QLocale()).toString(float(value), "f", THRESHOLD_DECIMALS)


class ThresholdField(QLineEdit):
    """Line edit for the threshold (value/setValue like a spin box).

    Signals:
        valueChanged(float): a valid value was entered (or set with setValue).
        rejected(str): the typed text was refused; the message says why. The field keeps the
            refused text (so the user sees what was wrong) until corrected or Escape.
        committed(): Enter was pressed (valid or not handled): the owner moves focus away.
    """

    valueChanged = Signal(float)
    rejected = Signal(str)
    committed = Signal()

    def __init__(self, value: float = 0.5, parent: QWidget | None = None):
        super().__init__(parent)
        self._value = float(value)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setToolTip("Decision threshold, above 0 and below 1 (0.5 or 0,5); Enter applies it")
        self.setText(format_threshold(self._value))
        self.returnPressed.connect(self._on_return)
        self.editingFinished.connect(self._apply)

    def value(self) -> float:
        return self._value

    def setValue(self, value: float) -> None:
        """Show ``value`` (no validation message: programmatic values come from the state)."""
        value = float(value)
        changed = value != self._value
        self._value = value
        self.setText(format_threshold(value))
        if changed and not self.signalsBlocked():
            self.valueChanged.emit(value)

    def apply_text(self) -> bool:
        """Apply the typed text; True when it was a valid threshold."""
        value, reason = parse_threshold(self.text())
        if value is None:
            self.rejected.emit(reason)
            return False
        value = round(value, THRESHOLD_DECIMALS) if 0 < round(value, THRESHOLD_DECIMALS) < 1 else value
        self.setValue(value)
        self.rejected.emit("")  # clears a previous refusal
        return True

    def _apply(self) -> None:
        if self.text() != format_threshold(self._value):
            self.apply_text()

    def _on_return(self) -> None:
        if self.apply_text():
            self.committed.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:  # back to the value in force
            self.setText(format_threshold(self._value))
            self.rejected.emit("")
            self.committed.emit()
            return
        super().keyPressEvent(event)


class ThresholdControls(QWidget):
    """Slider + typed field + "Reset to model default" + the refusal message, bound to a ViewState.

    Signals:
        committed(): a typed value was applied with Enter (the window gives focus to the film list).
    """

    committed = Signal()

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.default: float | None = None
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, SLIDER_STEPS - 1)  # 0 and 1 are not thresholds
        self.field = ThresholdField(state.threshold)
        self.field.setFixedWidth(76)
        self.reset_button = QPushButton("Reset to model default")
        self.reset_button.setObjectName("resetThreshold")
        self.reset_button.setEnabled(False)
        self.message = QLabel()
        self.message.setObjectName("thresholdError")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.message.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.field)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.reset_button)

        self.slider.valueChanged.connect(lambda v: state.set_threshold(v / SLIDER_STEPS))
        self.field.valueChanged.connect(state.set_threshold)
        self.field.rejected.connect(self._show_refusal)
        self.field.committed.connect(self.committed)
        self.reset_button.clicked.connect(self.reset)
        state.threshold_changed.connect(self.sync)
        self.sync()

    def set_default(self, threshold: float | None) -> None:
        """The loaded model's own threshold (what Reset goes back to); None without a model."""
        self.default = threshold
        self.sync()

    def reset(self) -> None:
        if self.default is not None:
            self._show_refusal("")
            self.state.set_threshold(self.default)
            self.field.setText(format_threshold(self.state.threshold))

    def sync(self) -> None:
        """State -> controls, without echoing back."""
        threshold = self.state.threshold
        for widget, value in ((self.slider, round(threshold * SLIDER_STEPS)), (self.field, threshold)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        at_default = self.default is not None and abs(threshold - self.default) < 5e-4
        self.reset_button.setEnabled(self.default is not None and not at_default)
        if self.default is not None:
            self.reset_button.setToolTip(f"Back to the model's threshold {format_threshold(self.default)}")

    def _show_refusal(self, reason: str) -> None:
        if reason:
            reason += f". The threshold stays {format_threshold(self.state.threshold)}."
        self.message.setText(reason)
        self.message.setVisible(bool(reason))

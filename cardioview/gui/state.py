"""The viewer's state as plain Python objects; Qt widgets observe it (napari style).

Nothing here imports Qt, so the rules (what a threshold change does, what the
CTR is) are testable without a display, and every widget draws from one source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cardioview.anatomy.cardiothoracic_ratio import Caliper, CardiothoracicRatio
from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction
from cardioview.render.colormaps import COLORMAPS, DEFAULT_COLORMAP
from cardioview.render.model_output import model_output_shown
from cardioview.render.overlay import DEFAULT_OPACITY, DEFAULT_SCALE, AttentionScale


class Event:
    """A list of callbacks called in order with the emitted arguments."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


@dataclass(frozen=True)
class CardiothoracicMeasurement:
    """The two horizontal caliper lines the reader sees on one image, in image pixels.

    Not a CTR type of its own: the ratio is the one CardiothoracicRatio of :meth:`to_ctr`;
    this adds only whether the reader has placed the lines yet.

    Attributes:
        heart: maximal transverse cardiac diameter.
        thorax: maximal internal thoracic diameter.
        placed: False for the starting lines at default positions: no ratio is
            shown or exported until the user has moved them (a ratio of lines
            nobody placed would read like a measurement).
    """

    heart: Caliper
    thorax: Caliper
    placed: bool = True

    @property
    def ratio(self) -> float | None:
        """The ratio once placed (0.0 while the heart line has no length), None before."""
        if not self.placed or self.thorax.width <= 0:
            return None
        return self.heart.width / self.thorax.width

    @property
    def enlarged(self) -> bool:
        ctr = self.to_ctr()
        return ctr is not None and ctr.enlarged

    def to_ctr(self) -> CardiothoracicRatio | None:
        """The CTR these lines measure, or None while unplaced or a line has no length."""
        if self.ratio is None or self.heart.width <= 0:
            return None
        return CardiothoracicRatio.from_calipers(self.heart, self.thorax)

    @classmethod
    def default_for(cls, xray: XRay) -> CardiothoracicMeasurement:
        """Starting lines at typical PA positions, for the user to drag into place."""
        height, width = xray.shape
        return cls(
            heart=Caliper(0.36 * width, 0.66 * width, 0.62 * height),
            thorax=Caliper(0.12 * width, 0.88 * width, 0.55 * height),
            placed=False,
        )


@dataclass
class ViewState:
    """What the viewer shows. Setters validate, store and emit; they never run the model.

    Events (callbacks take no arguments unless stated):
        image_changed: the current image (or its XRay) changed.
        prediction_changed: a prediction arrived; argument: the image key.
        display_changed: opacity, colormap, scale, heat-map visibility or the model-output reveal changed.
        threshold_changed: the decision threshold changed.
        measurement_changed: the CTR calipers of the current image changed.
    """

    opacity: float = DEFAULT_OPACITY
    colormap: str = DEFAULT_COLORMAP
    scale: AttentionScale = DEFAULT_SCALE
    heatmap_visible: bool = True
    #: The user pressed "Show model output anyway" on the current (not-applicable) image.
    model_output_revealed: bool = False
    threshold: float = 0.5
    current_key: str | None = None
    current_xray: XRay | None = None
    predictions: dict[str, Prediction] = field(default_factory=dict)
    measurements: dict[str, CardiothoracicMeasurement] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.image_changed = Event()
        self.prediction_changed = Event()
        self.display_changed = Event()
        self.threshold_changed = Event()
        self.measurement_changed = Event()

    # -- image and results -------------------------------------------------
    def set_current(self, key: str | None, xray: XRay | None) -> None:
        if key != self.current_key:
            self.model_output_revealed = False  # every not-applicable image starts with its output withheld
        self.current_key = key
        self.current_xray = xray
        self.image_changed.emit()

    def add_prediction(self, key: str, prediction: Prediction) -> None:
        self.predictions[key] = prediction
        self.prediction_changed.emit(key)

    def prediction(self, key: str | None = None) -> Prediction | None:
        """The stored prediction of ``key`` (default: current image), judged at the current threshold."""
        key = self.current_key if key is None else key
        found = self.predictions.get(key) if key is not None else None
        return None if found is None else found.with_threshold(self.threshold)

    def clear(self) -> None:
        """Forget every image and result (a new folder was opened)."""
        self.predictions.clear()
        self.measurements.clear()
        self.set_current(None, None)

    # -- display ------------------------------------------------------------
    def set_opacity(self, opacity: float) -> None:
        opacity = min(1.0, max(0.0, float(opacity)))
        if opacity != self.opacity:
            self.opacity = opacity
            self.display_changed.emit()

    def set_colormap(self, name: str) -> None:
        if name not in COLORMAPS:
            raise ValueError(f"unknown colormap {name!r}")
        if name != self.colormap:
            self.colormap = name
            self.display_changed.emit()

    def set_scale(self, scale: AttentionScale | str) -> None:
        scale = AttentionScale(scale)
        if scale is not self.scale:
            self.scale = scale
            self.display_changed.emit()

    def set_heatmap_visible(self, visible: bool) -> None:
        if bool(visible) != self.heatmap_visible:
            self.heatmap_visible = bool(visible)
            self.display_changed.emit()

    def set_model_output_revealed(self, revealed: bool) -> None:
        if bool(revealed) != self.model_output_revealed:
            self.model_output_revealed = bool(revealed)
            self.display_changed.emit()

    def model_output_shown(self, key: str | None = None) -> bool:
        """May the heat map, outlines and automatic calipers of ``key`` (default: current) be drawn?

        Not on a not-applicable image unless the user asked for them (issue 18); the reveal is per
        current image.
        """
        key = self.current_key if key is None else key
        prediction = self.predictions.get(key) if key is not None else None
        return model_output_shown(prediction, self.model_output_revealed and key == self.current_key)

    def set_threshold(self, threshold: float) -> None:
        threshold = min(1.0, max(0.0, float(threshold)))
        if threshold != self.threshold:
            self.threshold = threshold
            self.threshold_changed.emit()

    # -- calipers -------------------------------------------------------------
    def measurement(self) -> CardiothoracicMeasurement | None:
        return self.measurements.get(self.current_key) if self.current_key else None

    def offer_measurement(self, key: str, measurement: CardiothoracicMeasurement) -> bool:
        """Automatic calipers for image ``key``, kept only where the reader has placed none.

        Returns:
            True when they became ``key``'s measurement (measurement_changed is emitted if it is shown).
        """
        if key in self.measurements:
            return False
        self.measurements[key] = measurement
        if key == self.current_key:
            self.measurement_changed.emit()
        return True

    def set_measurement(self, measurement: CardiothoracicMeasurement | None) -> None:
        if self.current_key is None:
            return
        if measurement is None:
            self.measurements.pop(self.current_key, None)
        else:
            self.measurements[self.current_key] = measurement
        self.measurement_changed.emit()

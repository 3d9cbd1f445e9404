"""Window/level of the X-ray on screen (no Qt): which array is shown and its grey range.

DICOM images are re-windowed from ``XRay.modality_pixels`` (after the modality
LUT), so the DICOM-defined windows apply in their own units; raster images are
windowed on their display pixels in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cardioview.imaging.xray import XRay


@dataclass(frozen=True)
class DisplayWindow:
    """A grey window in the units of the displayed array."""

    center: float
    width: float
    name: str = ""

    @property
    def levels(self) -> tuple[float, float]:
        half = max(self.width, 1e-6) / 2.0
        return self.center - half, self.center + half


def display_array(xray: XRay) -> np.ndarray:
    """The array the canvas shows: modality values for DICOM, display pixels otherwise."""
    return xray.modality_pixels if xray.modality_pixels is not None else xray.pixels


def display_inverted(xray: XRay, user_invert: bool) -> bool:
    """Whether the grey ramp must run white-to-black.

    MONOCHROME1 modality values are bright where the film is dark, so showing
    them needs an inversion that the user's invert toggles back.
    """
    native = xray.invert_display if xray.modality_pixels is not None else False
    return native != user_invert


def _percentile_window(values: np.ndarray, low: float, high: float, name: str) -> DisplayWindow:
    sample = values[:: max(1, values.shape[0] // 512), :: max(1, values.shape[1] // 512)]
    lo, hi = np.percentile(sample, [low, high])
    if hi - lo < 1e-6:
        hi = lo + 1.0
    return DisplayWindow((lo + hi) / 2.0, hi - lo, name)


def window_presets(xray: XRay) -> list[DisplayWindow]:
    """Named windows for the preset menu, the image's own default first.

    DICOM: the file's windows (with their explanations), then the full range and
    two contrast presets derived from the image histogram. Raster: the
    identity window and the same histogram presets.
    """
    values = display_array(xray)
    presets: list[DisplayWindow] = []
    if xray.modality_pixels is not None:
        for i, w in enumerate(xray.windows):
            label = w.explanation or f"DICOM window {i + 1}"
            presets.append(DisplayWindow(float(w.center), float(w.width), label))
        if not presets:
            presets.append(_percentile_window(values, 0.5, 99.5, "Default"))
    else:
        presets.append(DisplayWindow(0.5, 1.0, "Default"))
    lo, hi = float(values.min()), float(values.max())
    presets.append(DisplayWindow((lo + hi) / 2.0, max(hi - lo, 1e-6), "Full range"))
    presets.append(_percentile_window(values, 10, 90, "High contrast"))
    presets.append(_percentile_window(values, 0.1, 99.9, "Soft"))
    return presets


def dragged(window: DisplayWindow, dx: float, dy: float, span: float) -> DisplayWindow:
    """The window after a right-drag of (dx, dy) screen pixels.

    Right widens (less contrast), up brightens the image by lowering the level;
    a 500 px drag sweeps the image's whole value span.
    """
    step = span / 500.0
    width = max(span / 1000.0, window.width + dx * step)
    center = window.center + dy * step
    return DisplayWindow(center, width, "Custom")

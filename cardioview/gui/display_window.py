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


def _sample(values: np.ndarray) -> np.ndarray:
    """About 512 x 512 evenly spaced pixels: enough for histogram windows, cheap on 3000 px images."""
    return values[:: max(1, values.shape[0] // 512), :: max(1, values.shape[1] // 512)]


def _window_between(lo: float, hi: float, name: str) -> DisplayWindow:
    if hi - lo < 1e-6:
        hi = lo + 1.0
    return DisplayWindow((lo + hi) / 2.0, hi - lo, name)


def window_presets(xray: XRay) -> list[DisplayWindow]:
    """Named windows for the preset menu, the image's own default first.

    DICOM: the file's windows (with their explanations; a histogram window when
    it has none), then the full range and two contrast presets from the image
    histogram. Raster: the identity window, then the same presets.
    """
    values = display_array(xray)
    p = np.percentile(_sample(values), [0.1, 0.5, 10, 90, 99.5, 99.9])
    presets: list[DisplayWindow] = []
    if xray.modality_pixels is not None:
        for i, w in enumerate(xray.windows):
            label = w.explanation or f"DICOM window {i + 1}"
            presets.append(DisplayWindow(float(w.center), float(w.width), label))
        if not presets:
            presets.append(_window_between(p[1], p[4], "Default"))
    else:
        presets.append(DisplayWindow(0.5, 1.0, "Default"))
    presets.append(_window_between(float(values.min()), float(values.max()), "Full range"))
    presets.append(_window_between(p[2], p[3], "High contrast"))
    presets.append(_window_between(p[0], p[5], "Soft"))
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

"""Colormaps as 256-entry RGB lookup tables, without matplotlib.

The tables are OpenCV's built-in maps (``cv2.applyColorMap`` on a 0..255
ramp), which reproduce matplotlib's inferno/viridis/magma/plasma/cividis,
Google's turbo and MATLAB's jet. They are stored in :mod:`colormap_tables`
so the viewer needs no OpenCV; tests check them against OpenCV and their ends
against the published values.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from cardioview.render.colormap_tables import TABLES

#: Names accepted by :func:`colormap_lut`; perceptually uniform maps first, jet
#: (the paper's figures) last.
COLORMAPS: tuple[str, ...] = tuple(TABLES)
#: Inferno: perceptually uniform, monotone in luminance (low attention stays
#: dark, so it reads as "less"), and legible for the common colour-vision deficiencies.
DEFAULT_COLORMAP = "inferno"


@cache
def colormap_lut(name: str) -> np.ndarray:
    """The (256, 3) uint8 RGB table of a colormap; row i is the colour of value i/255.

    The array is read-only (it is shared between callers).

    Raises:
        ValueError: unknown name.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in TABLES:
        raise ValueError(f"unknown colormap {name!r}; choose one of {', '.join(COLORMAPS)}")
    lut = np.frombuffer(bytes.fromhex(TABLES[key]), dtype=np.uint8).reshape(256, 3)
    lut.setflags(write=False)
    return lut


def colorize(values: np.ndarray, colormap: str = DEFAULT_COLORMAP) -> np.ndarray:
    """Map values in [0, 1] (any shape) to RGB uint8 (shape + (3,)); values outside are clipped."""
    index = np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    return colormap_lut(colormap)[index]

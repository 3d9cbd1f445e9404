"""Colormaps as 256-entry RGB lookup tables, without matplotlib.

The tables come from OpenCV's built-in maps (``cv2.applyColorMap`` on a 0..255
ramp), which reproduce matplotlib's inferno/viridis/magma/plasma/cividis,
Google's turbo and MATLAB's jet; tests check their ends against the published
values.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

_CV2_MAPS = {
    "inferno": cv2.COLORMAP_INFERNO,
    "viridis": cv2.COLORMAP_VIRIDIS,
    "magma": cv2.COLORMAP_MAGMA,
    "plasma": cv2.COLORMAP_PLASMA,
    "cividis": cv2.COLORMAP_CIVIDIS,
    "turbo": cv2.COLORMAP_TURBO,
    "jet": cv2.COLORMAP_JET,  # the paper's figures
}

#: Names accepted by :func:`colormap_lut`; perceptually uniform maps first.
COLORMAPS: tuple[str, ...] = tuple(_CV2_MAPS)
#: Inferno: perceptually uniform, monotone in luminance (low attention stays
#: dark, so it reads as "less"), and legible for the common colour-vision deficiencies.
DEFAULT_COLORMAP = "inferno"


@lru_cache(maxsize=None)
def colormap_lut(name: str) -> np.ndarray:
    """The (256, 3) uint8 RGB table of a colormap; row i is the colour of value i/255.

    The array is read-only (it is shared between callers).

    Raises:
        ValueError: unknown name.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in _CV2_MAPS:
        raise ValueError(f"unknown colormap {name!r}; choose one of {', '.join(COLORMAPS)}")
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    bgr = cv2.applyColorMap(ramp, _CV2_MAPS[key]).reshape(256, 3)
    lut = np.ascontiguousarray(bgr[:, ::-1])
    lut.setflags(write=False)
    return lut


def colorize(values: np.ndarray, colormap: str = DEFAULT_COLORMAP) -> np.ndarray:
    """Map values in [0, 1] (any shape) to RGB uint8 (shape + (3,)); values outside are clipped."""
    index = np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    return colormap_lut(colormap)[index]

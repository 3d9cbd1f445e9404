"""Small array helpers shared by the DICOM and raster loaders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cardioview.errors import UnsupportedImageError

# ITU-R BT.601 luma weights: what cv2, Pillow and DICOM viewers use for RGB -> gray.
_LUMA_RGB = np.array([0.299, 0.587, 0.114], dtype=np.float32)

# Mean channel difference (fraction of full scale) above which an RGB image is
# really coloured rather than gray stored as RGB (JPEG chroma noise stays well below).
_COLOUR_THRESHOLD = 0.01


def luminance(rgb: np.ndarray, order: str = "RGB") -> np.ndarray:
    """(H, W, 3) colour samples -> float32 (H, W) luma in the same units.

    Args:
        rgb: colour image, channels last.
        order: "RGB" or "BGR" (OpenCV's order).
    """
    weights = _LUMA_RGB if order == "RGB" else _LUMA_RGB[::-1]
    return rgb[..., :3].astype(np.float32) @ weights


def is_colourful(rgb: np.ndarray, full_scale: float) -> bool:
    """True when the channels differ: a colour picture, not gray stored as RGB."""
    return spread_is_colourful(channel_spread(rgb), full_scale)


def channel_spread(rgb: np.ndarray) -> float:
    """Mean |R-G| + |G-B| (the colour measure; averaged over row chunks by large-image callers)."""
    channels = rgb[..., :3].astype(np.float32)
    spread = np.abs(channels[..., 0] - channels[..., 1]) + np.abs(channels[..., 1] - channels[..., 2])
    return float(spread.mean())


def spread_is_colourful(spread: float, full_scale: float) -> bool:
    return spread / 2.0 > _COLOUR_THRESHOLD * full_scale


def scale_to_unit(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map ``low -> 0`` and ``high -> 1`` linearly, clipped, as float32.

    ``high < low`` works too (the map is then decreasing); ``high == low`` is
    a caller error, since it would divide by zero.
    """
    if high == low:
        raise ValueError("scale_to_unit needs distinct low and high")
    out = (values.astype(np.float32) - np.float32(low)) / np.float32(high - low)
    return np.clip(out, 0.0, 1.0, out=out)


def require_contrast(path: str | Path, values: np.ndarray) -> tuple[float, float]:
    """Return (min, max) of ``values``; raise when the image is one flat value.

    A constant image has nothing to read and would divide by zero when scaled.
    """
    low, high = float(values.min()), float(values.max())
    if low == high:
        raise UnsupportedImageError(path, f"constant image: every pixel is {low:g}, nothing to analyse")
    return low, high

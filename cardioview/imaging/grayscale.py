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


#: Rows per chunk when converting colour: float copies of a whole 100 MP RGB image
#: would take 1.2 GB each (issue 9 measured 3.3-3.8 GB peaks without chunking).
CHUNK_ROWS = 512


#: Decoded YBR photometric interpretations converted to RGB chunk by chunk (pydicom's
#: whole-frame conversion makes float copies: 2.6 GB for a 100 MP JPEG, issue 9).
YBR_FULL = frozenset({"YBR_FULL", "YBR_FULL_422"})


def luma_in_chunks(
    image: np.ndarray, alpha_max: float | None = None, photometric: str = "RGB"
) -> tuple[np.ndarray, float]:
    """(H, W, 3 or 4) colour samples -> (float32 (H, W) luma, mean channel spread), a few rows at a time.

    Args:
        image: channels last; a 4th channel is alpha when ``alpha_max`` is given
            (colour is weighted by alpha / alpha_max), and ignored otherwise.
        photometric: "RGB", or a decoded YBR_FULL / YBR_FULL_422 image (converted to
            RGB per chunk as pydicom would convert the whole frame).
    Returns:
        (luma in the samples' units, mean |R-G| + |G-B| as :func:`channel_spread`)
    """
    convert = None
    if photometric in YBR_FULL:
        from pydicom.pixels import convert_color_space as convert
    gray = np.empty(image.shape[:2], dtype=np.float32)
    spread = 0.0
    for top in range(0, image.shape[0], CHUNK_ROWS):
        part = image[top : top + CHUNK_ROWS]
        if convert is not None:
            part = convert(np.ascontiguousarray(part[..., :3]), photometric, "RGB")
        colour = part[..., :3].astype(np.float32)
        if alpha_max is not None and image.shape[2] == 4:
            colour *= part[..., 3:4].astype(np.float32) / np.float32(alpha_max)
        spread += channel_spread(colour) * part.shape[0]
        gray[top : top + CHUNK_ROWS] = luminance(colour)
    return gray, spread / max(1, image.shape[0])


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

"""Render a film as the NIH cxr128 training thumbnails were made, in numpy (no OpenCV in the viewer).

How the thumbnails were made (found by search over the 90 nih-boxes films that are also cxr128 files;
issue 19): NIH's 1024x1024 original, ``cv2.resize`` to 128 px with the default bilinear interpolation
(no anti-aliasing), ``cv2.createCLAHE`` with 8x8 tiles (clip limit 1.0), then ``cv2.equalizeHist``.

A user's film is first cut free of flat white padding (:func:`trim_bright_padding`), then brought to
NIH's geometry: NIH published every film at 1024x1024 whatever the
detector's aspect (Data_Entry's originals are 2000-3000 px, often not square), so the film is squashed
to 1024x1024, averaging areas when it shrinks.

- :func:`linear_resize_u8` is ``cv2.resize(..., interpolation=cv2.INTER_LINEAR)`` on uint8 bit for
  bit: OpenCV's 11-bit fixed-point coefficients and its vectorised vertical pass's rounding (which is
  what runs for rows whose width is a multiple of the SIMD width, e.g. 128).
- :func:`clahe_u8` is ``cv2.createCLAHE(clip, (8, 8)).apply`` bit for bit on uint8.
"""

from __future__ import annotations

import numpy as np

from cardioview.imageops import equalize_hist, resize_gray

#: NIH ChestX-ray14 published every film at this square size; the thumbnails were made from it.
NIH_SIDE = 1024
_COEF_BITS = 11
_COEF_SCALE = 1 << _COEF_BITS
_LEVELS = 256


#: at most this share of each side is trimmed as padding
_MAX_TRIM = 0.25


def _constant_at(line: np.ndarray, level: int) -> bool:
    return bool(line.size) and int(line.min()) == level and int(line.max()) == level


def trim_bright_padding(gray: np.ndarray) -> np.ndarray:
    """The film without constant bands at its brightest level along its edges (a view, no copy).

    NIH's films have black borders and bright collimation but no flat white padding, which a DICOM gets
    when MONOCHROME1 padding (stored 0) is inverted or an export pads with the maximum: a white band a
    tenth of the side wide lowers P by 0.67 (median, 24 nih-boxes films), as equalisation and CLAHE spread
    the film's levels around a band of pure white. Black bands are kept: NIH's films have them (31 of 108
    films here), the thumbnails include them, and equalizeHist leaves the lowest level out of its histogram.
    """
    h, w = gray.shape
    edges = (gray[0], gray[-1], gray[:, 0], gray[:, -1])
    if not any(int(e.min()) == int(e.max()) for e in edges):
        return gray  # the usual case: no edge is a flat line
    peak = int(gray.max())
    top, bottom, left, right = 0, h, 0, w
    while top < int(h * _MAX_TRIM) and _constant_at(gray[top, left:right], peak):
        top += 1
    while h - bottom < int(h * _MAX_TRIM) and _constant_at(gray[bottom - 1, left:right], peak):
        bottom -= 1
    while left < int(w * _MAX_TRIM) and _constant_at(gray[top:bottom, left], peak):
        left += 1
    while w - right < int(w * _MAX_TRIM) and _constant_at(gray[top:bottom, right - 1], peak):
        right -= 1
    return gray[top:bottom, left:right]


def to_nih_geometry(gray: np.ndarray) -> np.ndarray:
    """uint8 (H, W) film -> uint8 (1024, 1024), area-averaged (integer sums) when shrinking.

    A film smaller than 1024 px is enlarged bilinearly (as OpenCV would), which NIH never needed.
    """
    if gray.shape == (NIH_SIDE, NIH_SIDE):
        return gray
    return resize_gray(gray, (NIH_SIDE, NIH_SIDE))


def _linear_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV's INTER_LINEAR source indices and fixed-point weights for one axis.

    Returns:
        (low index, high index, weights (n_out, 2) int32 summing to 2048).
    """
    scale = n_in / n_out
    position = ((np.arange(n_out, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    low = np.floor(position).astype(np.int64)
    frac = position - low.astype(np.float32)
    clamp_low = low < 0
    frac[clamp_low], low[clamp_low] = 0.0, 0
    clamp_high = low >= n_in - 1
    frac[clamp_high], low[clamp_high] = 0.0, n_in - 1
    high = np.minimum(low + 1, n_in - 1)
    weights = np.stack([np.rint((np.float32(1.0) - frac) * _COEF_SCALE), np.rint(frac * _COEF_SCALE)], axis=1).astype(
        np.int32
    )
    return low, high, weights


def linear_resize_u8(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``cv2.resize(gray, (W, H), interpolation=cv2.INTER_LINEAR)`` for uint8, in integer arithmetic.

    Args:
        gray: uint8 (H, W).
        size: (height, width) of the result.

    Returns:
        uint8 (height, width).
    """
    height, width = int(size[0]), int(size[1])
    x_low, x_high, wx = _linear_taps(gray.shape[1], width)
    y_low, y_high, wy = _linear_taps(gray.shape[0], height)
    rows = np.unique(np.concatenate([y_low, y_high]))
    source = gray[rows].astype(np.int32)
    # horizontal pass on the rows the vertical pass needs: values scaled by 2048
    horizontal = source[:, x_low] * wx[:, 0] + source[:, x_high] * wx[:, 1]
    where = np.searchsorted(rows, y_low), np.searchsorted(rows, y_high)
    upper, lower = horizontal[where[0]], horizontal[where[1]]
    # OpenCV's vectorised vertical pass: (((S >> 4) * beta) >> 16) per row, then (sum + 2) >> 2
    upper = ((upper >> 4) * wy[:, :1]) >> 16
    lower = ((lower >> 4) * wy[:, 1:]) >> 16
    return np.clip((upper + lower + 2) >> 2, 0, 255).astype(np.uint8)


def _tile_luts(padded: np.ndarray, tiles: int, clip_limit: float) -> np.ndarray:
    """Per-tile clipped-histogram lookup tables, as OpenCV's CLAHE_CalcLut_Body.

    Returns:
        uint8 (tiles, tiles, 256).
    """
    tile_h, tile_w = padded.shape[0] // tiles, padded.shape[1] // tiles
    area = tile_h * tile_w
    blocks = padded.reshape(tiles, tile_h, tiles, tile_w).transpose(0, 2, 1, 3).reshape(tiles * tiles, area)
    offsets = (np.arange(tiles * tiles) * _LEVELS)[:, None]
    hist = np.bincount((blocks + offsets).ravel(), minlength=tiles * tiles * _LEVELS)
    hist = hist.reshape(tiles * tiles, _LEVELS).astype(np.int64)
    limit = max(int(clip_limit * area / _LEVELS), 1) if clip_limit > 0 else 0
    if limit:
        clipped = np.maximum(hist - limit, 0).sum(axis=1)
        hist = np.minimum(hist, limit) + (clipped // _LEVELS)[:, None]
        residual = clipped % _LEVELS
        for t in np.flatnonzero(residual):
            step = max(_LEVELS // int(residual[t]), 1)
            hist[t, np.arange(0, _LEVELS, step)[: residual[t]]] += 1
    scale = np.float32((_LEVELS - 1) / area)
    lut = np.rint(np.cumsum(hist, axis=1).astype(np.float32) * scale)
    return np.clip(lut, 0, 255).astype(np.uint8).reshape(tiles, tiles, _LEVELS)


def _tile_interpolation(n: int, tile: int, tiles: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbouring tile indices and the float32 weight of the second, per pixel along one axis."""
    position = np.arange(n, dtype=np.float32) * np.float32(1.0 / tile) - np.float32(0.5)
    first = np.floor(position).astype(np.int64)
    weight = (position - first.astype(np.float32)).astype(np.float32)
    return np.maximum(first, 0), np.minimum(first + 1, tiles - 1), weight


def clahe_u8(gray: np.ndarray, clip_limit: float = 1.0, tiles: int = 8) -> np.ndarray:
    """``cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles)).apply(gray)`` for uint8.

    When a side is not divisible by ``tiles``, OpenCV pads both sides by ``tiles - side % tiles`` (a
    whole extra tile on a divisible side) by reflection (BORDER_REFLECT_101) for the histograms; so does this.
    """
    h, w = gray.shape
    padded = gray
    if h % tiles or w % tiles:
        padded = np.pad(gray, ((0, tiles - h % tiles), (0, tiles - w % tiles)), mode="reflect")
    luts = _tile_luts(padded, tiles, clip_limit)
    y1, y2, ya = _tile_interpolation(h, padded.shape[0] // tiles, tiles)
    x1, x2, xa = _tile_interpolation(w, padded.shape[1] // tiles, tiles)
    value = gray.astype(np.int64)
    rows1, rows2 = y1[:, None], y2[:, None]
    cols1, cols2 = x1[None, :], x2[None, :]
    xa, xa1 = xa[None, :], np.float32(1.0) - xa[None, :]
    ya, ya1 = ya[:, None], np.float32(1.0) - ya[:, None]
    top = luts[rows1, cols1, value].astype(np.float32) * xa1 + luts[rows1, cols2, value].astype(np.float32) * xa
    bottom = luts[rows2, cols1, value].astype(np.float32) * xa1 + luts[rows2, cols2, value].astype(np.float32) * xa
    result = top * ya1 + bottom * ya
    return np.clip(np.rint(result), 0, 255).astype(np.uint8)


def render_thumbnail(gray: np.ndarray, size: int = 128, clip_limit: float = 1.0, tiles: int = 8) -> np.ndarray:
    """A display-ready uint8 film of any size -> the uint8 (size, size) thumbnail the model was trained on.

    Flat white padding trimmed, NIH geometry (1024x1024, area), bilinear to ``size``, CLAHE, global
    equalisation.
    """
    small = linear_resize_u8(to_nih_geometry(trim_bright_padding(gray)), (size, size))
    return equalize_hist(clahe_u8(small, clip_limit, tiles))

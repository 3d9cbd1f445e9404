"""Pixel primitives shared by preprocessing, rendering and the GUI, on numpy and Pillow.

The viewer path (and so the clinical bundle) uses these instead of OpenCV,
which would add ~150 MB to the frozen application.

- :func:`equalize_hist` reproduces ``cv2.equalizeHist`` bit for bit (the
  cxr128 training images were equalised with it).
- :func:`resize_gray` averages areas to shrink and interpolates bilinearly to
  enlarge, like ``cv2.resize`` with INTER_AREA / INTER_LINEAR; uint8 results
  differ from OpenCV's by rounding only (at most one gray level).
- :func:`to_uint8` turns display-ready float pixels into 8-bit gray.
- :func:`resize_for_display` and :func:`upsample_smooth` enlarge bicubically
  (Pillow) for display.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from cardioview.area_shrink import area_shrink_through_lut, area_shrink_u8

_LEVELS = 256


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Display-ready float pixels in [0, 1] (or uint8) -> uint8 gray."""
    if pixels.dtype == np.uint8:
        return pixels
    gray = np.empty(pixels.shape, np.uint8)
    if gray.size == 0 or gray.ndim == 0:
        return _to_uint8_at_once(pixels) if gray.ndim == 0 else gray
    # a few rows at a time through one float buffer that stays in cache (a 2,500x2,048 film: about
    # 30 % faster than through a full-size float copy)
    rows = max(1, _FLOATS_PER_PASS // (pixels.size // pixels.shape[0]))
    buffer = np.empty((rows,) + pixels.shape[1:], np.result_type(pixels.dtype, np.float32))
    for top in range(0, pixels.shape[0], rows):
        part = pixels[top : top + rows]
        scaled = buffer[: part.shape[0]]
        np.multiply(part, 255.0, out=scaled, dtype=scaled.dtype)
        np.rint(scaled, out=scaled)
        np.clip(scaled, 0, 255, out=scaled)
        gray[top : top + rows] = scaled
    return gray


_FLOATS_PER_PASS = 1 << 17


def _to_uint8_at_once(pixels: np.ndarray) -> np.ndarray:
    scaled = np.multiply(pixels, 255.0, dtype=np.result_type(pixels.dtype, np.float32))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def equalize_hist(gray: np.ndarray) -> np.ndarray:
    """Histogram-equalise a uint8 gray image exactly as ``cv2.equalizeHist``.

    OpenCV's algorithm: the lowest occupied level maps to 0; every level above
    it maps to ``round_half_even(cumulative_count * scale)`` computed in
    float32, with ``scale = 255 / (total - count_of_lowest_level)``. An image
    of one level is returned unchanged (OpenCV fills it with that level).

    Args:
        gray: uint8 (H, W).

    Returns:
        A new uint8 (H, W) array.
    """
    gray = np.asarray(gray)
    if gray.dtype != np.uint8 or gray.ndim != 2:
        raise ValueError(f"equalize_hist needs uint8 (H, W), got {gray.dtype} {gray.shape}")
    if gray.size == 0:
        return gray.copy()
    return np.take(equalize_lut(gray), gray)


def equalize_lut(gray: np.ndarray) -> np.ndarray:
    """The uint8 (256,) lookup table :func:`equalize_hist` applies to this non-empty uint8 image."""
    hist = _histogram_u8(gray)
    lowest = int(np.flatnonzero(hist)[0])
    total = gray.size
    if hist[lowest] == total:
        return np.arange(_LEVELS, dtype=np.uint8)  # one level: left as it is
    scale = np.float32(_LEVELS - 1) / np.float32(total - hist[lowest])
    # OpenCV accumulates counts above the lowest level in an int and multiplies
    # the int (converted to float) by the float scale: float32 throughout.
    running = np.cumsum(hist) - hist[lowest]
    lut = np.rint(running.astype(np.float32) * scale)
    lut = np.clip(lut, 0, 255).astype(np.uint8)
    lut[lowest] = 0
    return lut


def equalize_and_resize(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``resize_gray(equalize_hist(gray), size)`` for uint8 (H, W); without the full-size equalised copy
    when the film shrinks (the same result, bit for bit: the area sums are exact integers either way)."""
    height, width = _check_size(size)
    if gray.dtype == np.uint8 and gray.ndim == 2 and gray.size and height <= gray.shape[0] and width <= gray.shape[1]:
        if gray.shape != (height, width):
            return area_shrink_through_lut(gray, equalize_lut(gray), height, width)
    return resize_gray(equalize_hist(gray), size)


def _histogram_u8(gray: np.ndarray) -> np.ndarray:
    """Counts of the 256 levels of a uint8 image.

    Pairs of pixels are counted as one uint16 (65,536 bins, then folded): bincount casts its input to
    int64, so half as many elements halves the cost on a full-size film.
    """
    flat = gray.ravel()
    even = flat.size - flat.size % 2
    pairs = np.bincount(np.ascontiguousarray(flat[:even]).view(np.uint16), minlength=_LEVELS * _LEVELS)
    pairs = pairs.reshape(_LEVELS, _LEVELS)
    hist = pairs.sum(axis=0) + pairs.sum(axis=1)  # either byte of the pair
    if even < flat.size:
        hist[flat[-1]] += 1
    return hist


def resize_gray(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a gray image to ``size`` = (H, W): area average to shrink, bilinear to enlarge.

    Computed per axis in float64, as ``cv2.resize`` with INTER_AREA (exact
    fractional pixel overlaps, not Pillow's BOX, which weighs a partly covered
    pixel 0 or 1) and INTER_LINEAR (pixel centres aligned: source coordinate
    ``(x + 0.5) * scale - 0.5``, edges replicated). An axis that shrinks is
    averaged, one that grows is interpolated. A uint8 image that shrinks (or keeps)
    on both axes is averaged in exact integer sums instead (area_shrink.py).

    Args:
        image: uint8 or floating (H, W).
        size: (height, width) of the result, both >= 1.

    Returns:
        uint8 (rounded half to even, as OpenCV) for uint8 input, float32
        otherwise; the input itself when the size is unchanged.
    """
    image = _check_image(image)
    height, width = _check_size(size)
    if image.shape == (height, width):
        return image
    if image.dtype == np.uint8 and height <= image.shape[0] and width <= image.shape[1]:
        return area_shrink_u8(image, height, width)  # exact integer sums, no float copy of a large film
    values = image if image.dtype == np.uint8 else image.astype(np.float64)
    values = _resize_axis(values, width, axis=1)
    values = _resize_axis(values, height, axis=0)
    if image.dtype == np.uint8:
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return values.astype(np.float32)


def resize_for_display(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize for showing, aspect kept: area average to shrink, bicubic to enlarge.

    Bicubic (Pillow's) instead of bilinear because bilinear looks blocky at 4x
    and more. Dtype and arguments as :func:`resize_gray`.
    """
    image = _check_image(image)
    height, width = _check_size(size)
    if height * width <= image.shape[0] * image.shape[1]:
        return resize_gray(image, (height, width))
    if image.dtype == np.uint8:
        picture = Image.fromarray(np.ascontiguousarray(image))
        return np.array(picture.resize((width, height), Image.Resampling.BICUBIC))
    return upsample_smooth(image, (height, width))


def upsample_smooth(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubically resize a float map to ``size`` = (H, W), pixel centres aligned.

    Used to enlarge a coarse feature map for display: cell (i, j) lands on the
    target pixel nearest ((i + 0.5) * H / h - 0.5, (j + 0.5) * W / w - 0.5).
    The result may overshoot the input's range slightly (cubic ringing).

    Returns:
        float32 (H, W), a new array.
    """
    height, width = int(size[0]), int(size[1])
    source = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.array(source.resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)


def resize_nearest(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a 2-D array (e.g. a bool mask) to size=(H, W), sampling pixel centres."""
    h, w = mask.shape
    ys = np.minimum(((np.arange(size[0]) + 0.5) * h / size[0]).astype(int), h - 1)
    xs = np.minimum(((np.arange(size[1]) + 0.5) * w / size[1]).astype(int), w - 1)
    return mask[ys[:, None], xs[None, :]]


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"resize needs a non-empty (H, W) image, got shape {image.shape}")
    return image


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    height, width = int(size[0]), int(size[1])
    if height < 1 or width < 1:
        raise ValueError(f"target size must be positive, got {size}")
    return height, width


def _resize_axis(values: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    n_in = values.shape[axis]
    if n_out == n_in:
        return values
    if n_out < n_in:
        return _area_axis(values, n_out, axis)
    return _linear_axis(values, n_out, axis)


def _area_axis(values: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    """Mean over each output pixel's span [k * s, (k + 1) * s) of the input, s = n_in / n_out.

    Integer input is summed in integers (exact, and no float64 copy of a large
    image), so the result equals the float64 computation bit for bit.
    """
    n_in = values.shape[axis]
    scale = n_in / n_out
    if values.dtype.kind in "ui":
        big = np.iinfo(values.dtype).max * n_in >= np.iinfo(np.int32).max
        cumulative = np.cumsum(values, axis=axis, dtype=np.int64 if big else np.int32)
    else:
        cumulative = np.cumsum(values, axis=axis, dtype=np.float64)
    # Integral of the piecewise-constant signal, sampled at the span edges:
    # sum of the whole pixels before the edge plus the covered part of the next one.
    edges = np.minimum(np.arange(n_out + 1, dtype=np.float64) * scale, n_in)
    whole = np.minimum(np.floor(edges).astype(np.intp), n_in - 1)
    before = np.take(cumulative, np.maximum(whole - 1, 0), axis=axis).astype(np.float64)
    before *= _along((whole > 0).astype(np.float64), axis, values.ndim)
    part = _along(edges - whole, axis, values.ndim)
    integral = before + part * np.take(values, whole, axis=axis)
    return np.diff(integral, axis=axis) / scale


def _linear_axis(values: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    """Linear interpolation at pixel-centre-aligned positions, edges replicated."""
    n_in = values.shape[axis]
    source = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
    source = np.clip(source, 0.0, n_in - 1)
    low = np.floor(source).astype(np.intp)
    high = np.minimum(low + 1, n_in - 1)
    weight = _along(source - low, axis, values.ndim)
    return np.take(values, low, axis=axis) * (1.0 - weight) + np.take(values, high, axis=axis) * weight


def _along(vector: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """Reshape a 1-D vector to broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = vector.size
    return vector.reshape(shape)

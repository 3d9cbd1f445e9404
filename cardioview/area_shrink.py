"""Area-average shrinking of uint8 images in exact integer arithmetic (the fast path of imageops.resize_gray).

Shrinking n pixels to m along an axis, output pixel k is the mean of the input over [k * n / m, (k + 1) * n / m):
whole pixels weigh m, the two partly covered ones their covered share times m, so every weight is an
integer and an output is an integer sum over the denominator n (only m when m divides n: a block sum).
The two axes' sums are multiplied out and rounded half to even once, as ``np.rint`` of the exact mean.

The float64 computation (``imageops._area_axis``) gives the same uint8 result except where the exact mean
lies half-way between two levels, which float rounding error sends either way (none of 1024x1024 or
128x128 from 2,500x2,048 NIH films; 0.05 % of 1000x900 from a 1024 px film: tests/test_area_shrink.py).
No full-size float copy: a 2,500x2,048 film to 1024x1024 takes a fifth to a tenth of the float path's time.
"""

from __future__ import annotations

import numpy as np


def area_shrink_u8(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 (H, W) -> uint8 (height, width), area-averaged; neither side may grow.

    Args:
        image: uint8 (H, W), H >= height and W >= width.
        height, width: the result's size.

    Returns:
        A new uint8 (height, width) array.
    """
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ValueError(f"area_shrink_u8 needs uint8 (H, W), got {image.dtype} {image.shape}")
    if not (1 <= height <= image.shape[0] and 1 <= width <= image.shape[1]):
        raise ValueError(f"area_shrink_u8 only shrinks: {image.shape} -> ({height}, {width})")
    return _shrink(image, height, width, denominator=1)


def area_shrink_through_lut(gray: np.ndarray, lut: np.ndarray, height: int, width: int) -> np.ndarray:
    """``area_shrink_u8(lut[gray], height, width)`` without the full-size mapped copy.

    When each output spans an even number of whole columns, the lookup maps pairs of pixels at once (a
    65,536-entry table of ``lut[a] + lut[b]``, read as one uint16): half the lookups, and the pair sums are
    the first step of the column sums anyway.

    Args:
        gray: uint8 (H, W), H >= height and W >= width.
        lut: uint8 (256,), e.g. a histogram equalisation's.
    """
    if not (1 <= height <= gray.shape[0] and 1 <= width <= gray.shape[1]):
        raise ValueError(f"area_shrink_through_lut only shrinks: {gray.shape} -> ({height}, {width})")
    columns = gray.shape[1]
    if columns % width or (columns // width) % 2:
        return _shrink(np.take(lut, gray), height, width, denominator=1)
    pair_lut = (lut[:, None].astype(np.uint16) + lut[None, :]).ravel()  # symmetric: byte order does not matter
    pairs = np.take(pair_lut, np.ascontiguousarray(gray).view(np.uint16))
    return _shrink(pairs, height, width, denominator=2)


def _shrink(values: np.ndarray, height: int, width: int, denominator: int) -> np.ndarray:
    """Round the area means of ``values`` (sums over ``denominator`` pixels of uint8 levels) at (height, width)."""
    # the block-sum axis first when there is one (cheapest, and it shrinks the data the other pass reads)
    order = (1, 0) if values.shape[1] % width == 0 and values.shape[0] % height else (0, 1)
    for axis in order:
        values, axis_denominator = _axis_sums(values, (height, width)[axis], axis, 255 * denominator)
        denominator *= axis_denominator
    return np.rint(values / float(denominator)).astype(np.uint8)


def _sum_dtype(bound: int) -> type:
    return np.int32 if bound < np.iinfo(np.int32).max else np.int64


def _axis_sums(values: np.ndarray, n_out: int, axis: int, peak: int) -> tuple[np.ndarray, int]:
    """Integer area sums along ``axis`` and their denominator (the mean is sums / denominator).

    ``peak`` bounds the values (255 times the denominator of the sums they already are).
    """
    n_in = values.shape[axis]
    if n_in == n_out:
        return values, 1
    if n_in % n_out == 0:  # whole blocks: strided sums of `ratio` slices, no copy of the input
        ratio = n_in // n_out
        dtype = np.uint16 if peak * ratio <= np.iinfo(np.uint16).max else _sum_dtype(peak * ratio)
        sums = _strided(values, 0, ratio, axis).astype(dtype)
        for k in range(1, ratio):
            sums += _strided(values, k, ratio, axis)
        return sums, ratio
    index, weight = area_taps(n_in, n_out)
    dtype = _sum_dtype(peak * n_in)
    shape = list(values.shape)
    shape[axis] = n_out
    sums, term = np.zeros(shape, dtype), np.empty(shape, dtype)
    for tap in range(index.shape[1]):
        tap_weight = weight[:, tap].astype(dtype)
        tap_weight = tap_weight[:, None] if axis == 0 else tap_weight
        np.multiply(np.take(values, index[:, tap], axis=axis), tap_weight, out=term)
        sums += term
    return sums, n_in


def _strided(values: np.ndarray, start: int, step: int, axis: int) -> np.ndarray:
    return values[start::step] if axis == 0 else values[:, start::step]


def area_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Input indices and integer weights of each output pixel when shrinking n_in -> n_out (n_out < n_in).

    Output k covers [k * n_in / n_out, (k + 1) * n_in / n_out): whole pixels weigh n_out, the partly covered
    first and last ones n_out times their covered share; each row of weights sums to n_in. Rows are padded
    with weight-0 taps (index clamped into the image) to a common length.

    Returns:
        (index (n_out, taps) int64, weight (n_out, taps) int64)
    """
    edge = np.arange(n_out + 1, dtype=np.int64) * n_in
    whole, part = np.divmod(edge, n_out)  # edge k lies `part / n_out` of a pixel past pixel `whole`
    first = whole[:-1]
    last = np.where(part[1:] > 0, whole[1:], whole[1:] - 1)  # the last pixel the span touches
    taps = int((last - first).max()) + 1
    index = first[:, None] + np.arange(taps)[None, :]
    weight = np.full(index.shape, n_out, dtype=np.int64)
    weight[index > last[:, None]] = 0
    weight[:, 0] -= part[:-1]  # the first pixel is covered from `part` on
    rows = np.arange(n_out)
    covered_of_last = np.where(part[1:] > 0, part[1:], n_out)
    weight[rows, last - first] -= n_out - covered_of_last  # the last pixel only up to the next edge
    return np.minimum(index, n_in - 1), weight

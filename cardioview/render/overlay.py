"""The attention map W drawn over the X-ray.

Three steps, each reusable by the GUI: :func:`upsample_attention` (feature grid
-> image pixels), :func:`scale_attention` (W values -> colour positions 0..1)
and :func:`blend` (gray + colour at an opacity). :func:`overlay` chains them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

import numpy as np

from cardioview.imageops import to_uint8, upsample_smooth
from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction
from cardioview.render.colormaps import DEFAULT_COLORMAP, colorize

#: The paper superimposes the map with intensity factor 0.2.
DEFAULT_OPACITY = 0.2
#: A map whose values span less than this is treated as constant (nothing to stretch).
_FLAT_RANGE = 1e-6


class AttentionScale(StrEnum):
    """How W values map onto the colormap.

    ABSOLUTE: W's own 0..1 values; colours mean the same on every image.
    RELATIVE: stretched to this image's min..max of W; shows where the model
        looks even when all of W is small, but colours are not comparable
        across images (the colour bar states the W range it stands for).
    """

    ABSOLUTE = "absolute"
    RELATIVE = "relative"


# Relative by default: the sigmoid attention of a trained AMM rarely uses its
# full 0..1 range. Reported trained models put all of W within 0.001-0.08 (on
# an absolute scale that is the colormap's bottom 8%: uniformly dark, the
# overlay shows nothing) or within 0.84-1.00 (uniformly saturated). Only the
# pattern of W within the image is informative, so stretch it, and print the
# actual W range on the colour bar so a flat, low map is not mistaken for a
# confident one.
DEFAULT_SCALE = AttentionScale.RELATIVE


class ScaledAttention(NamedTuple):
    """Attention ready for a colormap.

    Attributes:
        heat: float32 (H, W) in [0, 1], the colour position of each pixel.
        low: the W value shown at colour 0.
        high: the W value shown at colour 1 (equal to ``low`` for a constant map).
        scale: the scale used.
    """

    heat: np.ndarray
    low: float
    high: float
    scale: AttentionScale


def upsample_attention(attention: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Smoothly enlarge a feature-resolution map to image pixels.

    Feature cell (i, j) summarises the input tile whose centre is at
    ((i + 0.5) * H / h, (j + 0.5) * W / w); the resampling (Pillow's bicubic)
    uses the same pixel-centre alignment, so each cell's value lands on its
    tile's centre. Bicubic avoids the creases bilinear leaves at 100x+
    enlargement; its small overshoot is clipped back to [0, 1].

    Args:
        attention: (h, w) map in [0, 1].
        shape: (H, W) of the target image.

    Returns:
        float32 (H, W) in [0, 1].
    """
    attention = np.asarray(attention, dtype=np.float32)
    if attention.ndim != 2 or attention.size == 0:
        raise ValueError(f"attention must be a non-empty 2-D map, got shape {attention.shape}")
    height, width = int(shape[0]), int(shape[1])
    if height < 1 or width < 1:
        raise ValueError(f"target shape must be positive, got {shape}")
    if attention.shape == (height, width):
        return np.clip(attention, 0.0, 1.0)
    up = upsample_smooth(attention, (height, width))
    return np.clip(up, 0.0, 1.0, out=up)


def scale_attention(
    upsampled: np.ndarray,
    scale: AttentionScale | str = DEFAULT_SCALE,
    value_range: tuple[float, float] | None = None,
) -> ScaledAttention:
    """Turn W values into colour positions.

    Args:
        upsampled: float (H, W) attention (any resolution).
        scale: "absolute" or "relative".
        value_range: (low, high) W values to stretch between with the relative
            scale; default the map's own min and max. Pass the feature-grid
            map's range so the colour bar states W's actual values rather than
            those of its interpolation.

    Returns:
        :class:`ScaledAttention`; a constant map on the relative scale gives
        all zeros (no division by zero).
    """
    scale = AttentionScale(scale)
    values = np.asarray(upsampled, dtype=np.float32)
    if scale is AttentionScale.ABSOLUTE:
        return ScaledAttention(np.clip(values, 0.0, 1.0), 0.0, 1.0, scale)
    if value_range is None:
        low, high = float(values.min()), float(values.max())
    else:
        low, high = float(value_range[0]), float(value_range[1])
    if high - low < _FLAT_RANGE:
        return ScaledAttention(np.zeros_like(values, dtype=np.float32), low, low, scale)
    heat = (values - np.float32(low)) / np.float32(high - low)
    return ScaledAttention(np.clip(heat, 0.0, 1.0, out=heat), low, high, scale)


def attention_heat(
    attention: np.ndarray, shape: tuple[int, int], scale: AttentionScale | str = DEFAULT_SCALE
) -> ScaledAttention:
    """Feature-resolution W -> colour positions at ``shape`` (upsample, then scale by W's own range)."""
    attention = np.asarray(attention, dtype=np.float32)
    value_range = (float(attention.min()), float(attention.max()))
    return scale_attention(upsample_attention(attention, shape), scale, value_range)


#: Colour positions below ALPHA_RAMP[0] are transparent, above ALPHA_RAMP[1] fully at the opacity:
#: low attention leaves the film (and its background) untinted.
ALPHA_RAMP = (0.25, 0.75)


def heat_alpha(heat: np.ndarray) -> np.ndarray:
    """Per-pixel weight in [0, 1] of the heat colour: 0 for low W, rising smoothly to 1 for high W."""
    low, high = ALPHA_RAMP
    t = np.clip((np.asarray(heat, dtype=np.float32) - np.float32(low)) / np.float32(high - low), 0.0, 1.0)
    return t * t * (np.float32(3.0) - np.float32(2.0) * t)  # smoothstep: no visible edge at the ramp's ends


def gray_rgb(gray: np.ndarray) -> np.ndarray:
    """(H, W) gray (uint8, or float in [0, 1]) -> (H, W, 3) uint8 RGB."""
    gray_u8 = to_uint8(np.asarray(gray))
    return np.repeat(gray_u8[:, :, None], 3, axis=2)


def blend(
    gray_u8: np.ndarray,
    heat: np.ndarray,
    opacity: float = DEFAULT_OPACITY,
    colormap: str = DEFAULT_COLORMAP,
) -> np.ndarray:
    """Gray image with the coloured heat laid over it at ``opacity``.

    ``out = (1 - a) * gray + a * colormap(heat)`` with ``a = opacity * heat_alpha(heat)``,
    the same as the viewer's heat layer: low attention is transparent.

    Args:
        gray_u8: uint8 (H, W) display gray.
        heat: float (H, W) colour positions in [0, 1].
        opacity: 0 (X-ray only, returned exactly) .. 1 (colour only).
        colormap: a name from :data:`~cardioview.render.colormaps.COLORMAPS`.

    Returns:
        uint8 (H, W, 3) RGB.
    """
    if gray_u8.ndim != 2 or gray_u8.dtype != np.uint8:
        raise ValueError(f"gray must be uint8 (H, W), got {gray_u8.dtype} {gray_u8.shape}")
    if heat.shape != gray_u8.shape:
        raise ValueError(f"heat shape {heat.shape} differs from the image's {gray_u8.shape}")
    opacity = float(opacity)
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be within [0, 1], got {opacity}")
    base = gray_rgb(gray_u8)
    if opacity == 0.0:
        return base
    colour = colorize(heat, colormap).astype(np.float32)
    alpha = (np.float32(opacity) * heat_alpha(heat))[:, :, None]
    mixed = base.astype(np.float32) * (1.0 - alpha) + colour * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def overlay(
    xray: XRay,
    prediction: Prediction,
    opacity: float = DEFAULT_OPACITY,
    colormap: str = DEFAULT_COLORMAP,
    scale: AttentionScale | str = DEFAULT_SCALE,
) -> np.ndarray:
    """The X-ray with the prediction's attention map over it, at the X-ray's own size.

    Returns:
        uint8 (H, W, 3) RGB; with ``opacity=0`` exactly the gray X-ray.
    """
    heat = attention_heat(prediction.attention, xray.shape, scale).heat
    return blend(to_uint8(xray.pixels), heat, opacity, colormap)

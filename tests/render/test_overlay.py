import warnings

import numpy as np
import pytest

from cardioview.imageops import to_uint8
from cardioview.render.colormaps import colormap_lut
from cardioview.render.overlay import (
    DEFAULT_SCALE,
    AttentionScale,
    attention_heat,
    blend,
    overlay,
    scale_attention,
    upsample_attention,
)
from tests.render.conftest import make_prediction, peaked_attention


@pytest.mark.parametrize("shape", [(1024, 1024), (900, 1200), (1955, 1841)])
def test_upsampling_keeps_the_peak_on_its_cell_centre(shape):
    row, col = 2, 5
    up = upsample_attention(peaked_attention((row, col), 0.0, 1.0), shape)
    assert up.shape == shape and up.dtype == np.float32
    assert 0.0 <= up.min() and up.max() <= 1.0  # bicubic overshoot clipped
    peak = np.unravel_index(np.argmax(up), shape)
    centre = ((row + 0.5) * shape[0] / 7, (col + 0.5) * shape[1] / 7)
    assert abs(peak[0] + 0.5 - centre[0]) <= 1.0 and abs(peak[1] + 0.5 - centre[1]) <= 1.0


def test_upsampling_is_smooth():
    up = upsample_attention(peaked_attention((3, 3), 0.0, 1.0), (700, 700))
    # No step between neighbouring pixels bigger than a small fraction of the range.
    assert np.abs(np.diff(up, axis=1)).max() < 0.05


def test_upsampling_rejects_a_non_map():
    with pytest.raises(ValueError):
        upsample_attention(np.zeros((7,), np.float32), (10, 10))
    with pytest.raises(ValueError):
        upsample_attention(np.zeros((7, 7), np.float32), (0, 10))


def test_relative_scale_stretches_a_low_amplitude_map_to_full_range():
    attention = peaked_attention(low=0.001, high=0.08)
    scaled = scale_attention(attention, "relative")
    assert scaled.scale is AttentionScale.RELATIVE
    assert scaled.heat.min() == 0.0 and scaled.heat.max() == pytest.approx(1.0)
    assert (scaled.low, scaled.high) == pytest.approx((0.001, 0.08))


def test_relative_heat_reaches_the_top_of_the_bar_at_the_peak():
    heat = attention_heat(peaked_attention((4, 3), 0.001, 0.08), (1024, 1024), "relative")
    assert (heat.low, heat.high) == pytest.approx((0.001, 0.08))  # W's values, not the interpolation's
    assert heat.heat.max() > 0.98
    assert np.unravel_index(np.argmax(heat.heat), heat.heat.shape)[0] // (1024 // 7) == 4


def test_constant_map_gives_zeros_without_dividing_by_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = scale_attention(np.full((50, 60), 0.3, np.float32), AttentionScale.RELATIVE)
    assert not scaled.heat.any()
    assert scaled.low == scaled.high == pytest.approx(0.3)


def test_absolute_scale_keeps_w_values():
    attention = peaked_attention(low=0.001, high=0.08)
    scaled = scale_attention(attention, "absolute")
    assert np.array_equal(scaled.heat, attention)
    assert (scaled.low, scaled.high) == (0.0, 1.0)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError):
        scale_attention(np.zeros((2, 2), np.float32), "logarithmic")


def test_default_scale_is_relative():
    assert DEFAULT_SCALE is AttentionScale.RELATIVE


def test_opacity_zero_returns_the_gray_xray_exactly(xray):
    rgb = overlay(xray, make_prediction(), opacity=0.0)
    gray = to_uint8(xray.pixels)
    assert rgb.shape == xray.shape + (3,) and rgb.dtype == np.uint8
    assert all(np.array_equal(rgb[:, :, c], gray) for c in range(3))


def test_opacity_one_shows_the_colormap_alone_where_attention_is_high(xray):
    from cardioview.render.overlay import ALPHA_RAMP

    prediction = make_prediction()
    rgb = overlay(xray, prediction, opacity=1.0, colormap="viridis")
    heat = attention_heat(prediction.attention, xray.shape, DEFAULT_SCALE).heat
    colour = colormap_lut("viridis")[np.rint(heat * 255).astype(np.uint8)]
    high, low = heat >= ALPHA_RAMP[1], heat <= ALPHA_RAMP[0]
    assert high.any() and low.any()
    assert np.array_equal(rgb[high], colour[high])
    # Low attention is transparent: the film (and its background) keeps its grey there.
    gray = to_uint8(xray.pixels)
    assert all(np.array_equal(rgb[:, :, c][low], gray[low]) for c in range(3))


def test_alpha_ramp_rises_monotonically_from_transparent_to_opaque():
    from cardioview.render.overlay import heat_alpha

    ramp = heat_alpha(np.linspace(0.0, 1.0, 101, dtype=np.float32))
    assert ramp[0] == 0.0 and ramp[25] == 0.0 and ramp[75] == 1.0 and ramp[-1] == 1.0
    assert np.all(np.diff(ramp) >= 0) and 0.0 < ramp[50] < 1.0


def test_opacity_moves_hot_pixels_monotonically_towards_the_colour(xray):
    prediction = make_prediction(attention=peaked_attention((4, 3)))
    heat = attention_heat(prediction.attention, xray.shape, "relative").heat
    hot = heat > 0.9
    assert hot.sum() > 100
    gray = to_uint8(xray.pixels).astype(float)[hot]
    hot_colour = colormap_lut("inferno")[np.rint(heat[hot] * 255).astype(np.uint8)].astype(float)
    distances_from_gray, distances_from_colour = [], []
    for opacity in (0.0, 0.1, 0.2, 0.5, 0.8, 1.0):
        pixels = overlay(xray, prediction, opacity=opacity)[hot].astype(float)
        distances_from_gray.append(np.abs(pixels - gray[:, None]).mean())
        distances_from_colour.append(np.abs(pixels - hot_colour).mean())
    assert np.all(np.diff(distances_from_gray) > 0)
    assert np.all(np.diff(distances_from_colour) < 0)


def test_relative_scale_shows_a_trained_amms_low_map_where_absolute_shows_nothing(xray):
    prediction = make_prediction(attention=peaked_attention((4, 3), 0.001, 0.08))
    heat = attention_heat(prediction.attention, xray.shape, "relative").heat
    hot, cold = heat > 0.9, heat < 0.05
    for scale, expect_contrast in (("relative", True), ("absolute", False)):
        rgb = overlay(xray, prediction, opacity=0.2, scale=scale).astype(float)
        tint = rgb - to_uint8(xray.pixels).astype(float)[:, :, None] * 0.8  # the colour's contribution
        contrast = np.abs(tint[hot].mean(axis=0) - tint[cold].mean(axis=0)).max()
        assert (contrast > 20) == expect_contrast, (scale, contrast)


def test_blend_refuses_bad_inputs():
    gray = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError):
        blend(gray, np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError):
        blend(gray, np.zeros((4, 4), np.float32), opacity=1.5)
    with pytest.raises(ValueError):
        blend(gray.astype(np.float32), np.zeros((4, 4), np.float32))

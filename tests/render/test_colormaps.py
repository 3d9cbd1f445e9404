import numpy as np
import pytest

from cardioview.render.colormaps import COLORMAPS, DEFAULT_COLORMAP, colorize, colormap_lut

# Published end colours (matplotlib's tables for inferno/viridis/magma, Google's turbo, MATLAB's jet).
PUBLISHED_ENDS = {
    "inferno": ((0, 0, 4), (252, 255, 164)),
    "viridis": ((68, 1, 84), (253, 231, 37)),
    "magma": ((0, 0, 4), (252, 253, 191)),
    "turbo": ((48, 18, 59), (122, 4, 3)),
    "jet": ((0, 0, 128), (128, 0, 0)),
}


def luminance(lut: np.ndarray) -> np.ndarray:
    return lut.astype(float) @ np.array([0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("name", COLORMAPS)
def test_every_lut_is_256_rgb_bytes_and_read_only(name):
    lut = colormap_lut(name)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8
    with pytest.raises(ValueError):
        lut[0, 0] = 1


@pytest.mark.parametrize("name", sorted(PUBLISHED_ENDS))
def test_lut_ends_match_the_published_colours(name):
    lut = colormap_lut(name).astype(int)
    first, last = PUBLISHED_ENDS[name]
    assert np.abs(lut[0] - first).max() <= 2
    assert np.abs(lut[255] - last).max() <= 2


@pytest.mark.parametrize("name", ["inferno", "viridis", "magma"])
def test_perceptual_maps_brighten_monotonically(name):
    y = luminance(colormap_lut(name))
    assert np.all(np.diff(y[::8]) > 0)
    assert np.diff(y).min() > -1.0  # only 8-bit rounding wobbles


def test_default_is_inferno_and_names_are_case_insensitive():
    assert DEFAULT_COLORMAP == "inferno"
    assert np.array_equal(colormap_lut("Inferno"), colormap_lut("inferno"))


def test_unknown_colormap_names_the_choices():
    with pytest.raises(ValueError, match="inferno"):
        colormap_lut("rainbow-unicorn")


def test_colorize_clips_and_indexes_the_table():
    lut = colormap_lut("viridis")
    rgb = colorize(np.array([[-1.0, 0.0, 0.5, 1.0, 7.0]]), "viridis")
    assert rgb.shape == (1, 5, 3)
    assert np.array_equal(rgb[0], lut[[0, 0, 128, 255, 255]])


@pytest.mark.parametrize("name", COLORMAPS)
def test_stored_tables_equal_opencvs_maps(name):
    """The shipped tables (the viewer has no OpenCV) are exactly cv2.applyColorMap's; regenerate if not."""
    pytest.importorskip("cv2", reason="OpenCV (the tables' source) is a test extra")
    from tests.render.make_colormap_tables import CV2_NAMES, cv2_lut

    assert tuple(CV2_NAMES) == COLORMAPS
    np.testing.assert_array_equal(colormap_lut(name), cv2_lut(name))

"""The integer area shrink (cardioview/area_shrink.py) against the float64 area computation it replaced.

On real NIH films, at a detector's size (2,500x2,048) and through a real 16-bit DICOM made from one.
"""

import cv2
import numpy as np
import pytest

from cardioview.area_shrink import area_shrink_through_lut, area_shrink_u8, area_taps
from cardioview.imageops import _area_axis, equalize_and_resize, equalize_hist, resize_gray, to_uint8
from cardioview.imaging import load
from tests.conftest import NIH1024, require_shared_data
from tests.dicom_factory import nih_image, write_dicom


def _float_area(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The float64 area means (imageops' path for float images, and for uint8 before area_shrink)."""
    values = gray.astype(np.float64)
    return _area_axis(_area_axis(values, size[1], axis=1), size[0], axis=0)


def _assert_same_as_float(gray: np.ndarray, size: tuple[int, int]) -> int:
    """Equal to the float path rounded, except at exact half-way means; returns how many such pixels differ."""
    ours = area_shrink_u8(gray, *size)
    means = _float_area(gray, size)
    assert ours.shape == size and ours.dtype == np.uint8
    assert np.abs(ours - means).max() <= 0.5 + 1e-9  # a correct rounding of the mean everywhere
    differ = ours != np.rint(means).astype(np.uint8)
    # float rounding error sends a half-way mean either way; the integer sums round it half to even
    assert np.all(np.abs(means[differ] - np.floor(means[differ]) - 0.5) < 1e-9)
    return int(differ.sum())


def _detector_film(name: str) -> np.ndarray:
    """A real NIH film at a detector's geometry (2,500x2,048), as tests/inference/test_thumbnail_fidelity does."""
    large = cv2.resize(nih_image(name).astype(np.float32), (2048, 2500), interpolation=cv2.INTER_CUBIC)
    return np.clip(np.rint(large), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", ["00000001_000.png", "00000002_000.png", "00000003_000.png"])
@pytest.mark.parametrize("size", [(1024, 1024), (128, 128), (1000, 700)])
def test_integer_shrink_equals_the_float_area_on_detector_sized_films(name, size):
    require_shared_data(NIH1024)
    differ = _assert_same_as_float(_detector_film(name), size)
    # the sizes preprocessing shrinks to (NIH's 1024 px, the segmenter's 128 px) met no half-way mean here
    assert differ == 0 if size[0] == size[1] else differ <= size[0] * size[1] // 1000


@pytest.mark.parametrize("size", [(1024, 1024), (128, 128), (512, 256), (1000, 900), (100, 64), (3, 5)])
def test_integer_shrink_rounds_as_the_float_area_on_an_nih_film(size):
    film = nih_image()
    differ = _assert_same_as_float(film, size)
    assert differ <= film.size // 1000  # ties only: 551 of 900,000 pixels for 1024 -> 1000x900


def test_integer_shrink_of_a_16_bit_dicoms_display_image(tmp_path):
    require_shared_data(NIH1024)
    stored = np.clip(np.rint(_detector_film("00000001_000.png").astype(np.float64) * 257.0), 0, 65535)
    dicom = write_dicom(tmp_path / "large.dcm", stored.astype(np.uint16), bits_stored=16, view="PA")
    gray = to_uint8(load(dicom).pixels)
    assert gray.shape == (2500, 2048)
    for size in [(1024, 1024), (128, 128)]:
        assert _assert_same_as_float(gray, size) == 0


@pytest.mark.parametrize("size", [(128, 128), (1024, 1024), (224, 224), (100, 64), (1000, 700)])
def test_equalising_while_shrinking_is_equalising_then_shrinking(size):
    """The segmenter's preprocessing (equalise the film, area-shrink it) fused, bit for bit, on real films:
    sizes whose column ratio is even take the pair lookup, the others the plain one."""
    require_shared_data(NIH1024)
    for film in (nih_image("00000002_000.png"), _detector_film("00000003_000.png")):
        expected = resize_gray(equalize_hist(film), size)
        np.testing.assert_array_equal(equalize_and_resize(film, size), expected)
        np.testing.assert_array_equal(
            equalize_and_resize(film[3:, 5:], size), resize_gray(equalize_hist(film[3:, 5:]), size)
        )


def test_shrinking_through_a_lookup_table_is_shrinking_the_mapped_film():
    film = nih_image()
    lut = np.random.default_rng(0).integers(0, 256, 256).astype(np.uint8)
    for size in [(128, 128), (512, 256), (300, 333)]:
        np.testing.assert_array_equal(area_shrink_through_lut(film, lut, *size), area_shrink_u8(lut[film], *size))
    constant = np.full((64, 64), 77, np.uint8)  # equalisation leaves a one-level film as it is
    assert (equalize_and_resize(constant, (16, 16)) == 77).all()


def test_taps_weigh_each_covered_share():
    index, weight = area_taps(5, 2)  # spans [0, 2.5) and [2.5, 5), weights in halves of a pixel
    assert index.tolist() == [[0, 1, 2], [2, 3, 4]]
    assert weight.tolist() == [[2, 2, 1], [1, 2, 2]]
    for n_in, n_out in [(2500, 1024), (2048, 1024), (1024, 1000), (7, 3), (3000, 128)]:
        index, weight = area_taps(n_in, n_out)
        assert (weight.sum(axis=1) == n_in).all() and (weight >= 0).all() and index.max() < n_in


def test_shrink_refuses_what_it_does_not_do():
    with pytest.raises(ValueError, match="only shrinks"):
        area_shrink_u8(np.zeros((4, 4), np.uint8), 8, 2)
    with pytest.raises(ValueError, match="uint8"):
        area_shrink_u8(np.zeros((4, 4), np.float32), 2, 2)

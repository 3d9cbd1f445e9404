"""The NIH thumbnail rendering (inference/nih_render.py) against OpenCV, which made the training thumbnails."""

import cv2
import numpy as np
import pytest

from cardioview.inference.nih_render import (
    clahe_u8,
    linear_resize_u8,
    render_thumbnail,
    to_nih_geometry,
    trim_bright_padding,
)
from tests.dicom_factory import nih_image


def _film(shape: tuple[int, int], seed: int) -> np.ndarray:
    """A real NIH film resampled to ``shape`` with a little noise (real structure, any size)."""
    film = cv2.resize(nih_image(), (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    noise = np.random.default_rng(seed).integers(-3, 4, shape)
    return np.clip(film + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "shape, size",
    [
        ((1024, 1024), (128, 128)),
        ((1000, 900), (128, 128)),
        ((2500, 2048), (128, 128)),
        ((300, 257), (128, 128)),
        ((1024, 1024), (100, 64)),
    ],
)
def test_linear_resize_is_opencvs_bit_for_bit(shape, size):
    film = _film(shape, seed=shape[0])
    ours = linear_resize_u8(film, size)
    theirs = cv2.resize(film, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("clip", [0.5, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("shape", [(128, 128), (100, 120), (60, 70), (256, 200)])
def test_clahe_is_opencvs_bit_for_bit(shape, clip):
    film = _film(shape, seed=shape[1])
    theirs = cv2.createCLAHE(clipLimit=clip, tileGridSize=(8, 8)).apply(film)
    np.testing.assert_array_equal(clahe_u8(film, clip, 8), theirs)


def test_render_thumbnail_is_the_opencv_recipe():
    film = nih_image()
    small = cv2.resize(film, (128, 128))
    theirs = cv2.equalizeHist(cv2.createCLAHE(clipLimit=1.0, tileGridSize=(8, 8)).apply(small))
    np.testing.assert_array_equal(render_thumbnail(film), theirs)


def test_large_films_are_area_averaged_to_nih_geometry():
    film = _film((2500, 2048), seed=1)
    square = to_nih_geometry(film)
    assert square.shape == (1024, 1024) and square.dtype == np.uint8
    theirs = cv2.resize(film, (1024, 1024), interpolation=cv2.INTER_AREA)
    assert np.abs(square.astype(int) - theirs).max() <= 1  # rounding only
    assert to_nih_geometry(square) is square


def test_flat_white_padding_is_trimmed_and_black_borders_kept():
    film = nih_image()
    padded = np.pad(film, ((100, 50), (30, 0)), constant_values=255)
    assert np.array_equal(trim_bright_padding(padded), film)
    np.testing.assert_array_equal(render_thumbnail(padded), render_thumbnail(film))
    black = np.pad(film, ((100, 50), (30, 0)), constant_values=0)
    assert trim_bright_padding(black).shape == black.shape  # NIH's films have black borders: kept
    assert trim_bright_padding(film) is film


def test_trimming_stops_at_a_quarter_of_a_side():
    film = nih_image()
    padded = np.pad(film, ((0, 0), (0, 3000)), constant_values=255)  # mostly padding
    trimmed = trim_bright_padding(padded)
    assert trimmed.shape[0] == padded.shape[0] and trimmed.shape[1] == padded.shape[1] - padded.shape[1] // 4

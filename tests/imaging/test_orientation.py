"""EXIF orientation applied exactly once, in TIFF, JPEG and PNG (eXIf), on a real NIH film (issue 21, items 1-2)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cardioview.imaging import load, scan
from cardioview.imaging.raster_header import EXIF_ORIENTATION, declared_size
from cardioview.imaging.sniff import JPEG, PNG, TIFF
from tests.imaging.declared_films import png_with_late_exif, save_oriented

FORMATS = {"tiff": TIFF, "tiff_lzw": TIFF, "png": PNG, "jpeg": JPEG}


@pytest.fixture
def film(nih_u8) -> np.ndarray:
    """The NIH film cropped to 1024 x 880 so that a quarter turn shows in the size."""
    return np.ascontiguousarray(nih_u8[:, 72:952])


def test_installed_pillow_applies_tiff_orientation_itself_but_not_jpeg_or_png(film, tmp_path):
    # The facts raster_header.PILLOW_ORIENTS rests on: an upgrade that changes them fails here.
    for kind, fmt in FORMATS.items():
        path = save_oriented(film, 6, kind, tmp_path / f"o6.{kind}")
        with open(path, "rb") as f, Image.open(f) as picture:
            lazy = picture.size
            picture.load()
            left = picture.getexif().get(EXIF_ORIENTATION)
            shape = np.asarray(picture).shape
        if fmt == TIFF:  # size already as displayed (880 wide), pixels turned, tag consumed
            assert lazy == (880, 1024) and shape == film.shape and left is None, kind
        else:  # size and pixels as stored (1024 wide), the tag left to the caller
            assert lazy == (1024, 880) and shape == (880, 1024) and left == 6, kind


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("orientation", [3, 5, 6, 8])
def test_film_is_shown_upright_whatever_the_format(film, tmp_path, kind, orientation):
    path = save_oriented(film, orientation, kind, tmp_path / f"film.{kind}")
    fmt = FORMATS[kind]
    assert declared_size(path, fmt)[:2] == (880, 1024)  # width, height as displayed
    pixels = load(path).pixels
    assert pixels.shape == film.shape
    error = np.abs(pixels - film / 255.0)
    if kind == "jpeg":
        assert error.mean() < 0.01
    else:
        assert error.max() < 1e-6


def test_scan_lists_rotated_films_with_their_displayed_size(film, tmp_path):
    for kind in FORMATS:
        save_oriented(film, 6, kind, tmp_path / f"film_{kind}.{'jpg' if kind == 'jpeg' else kind[:4]}")
    index = scan(tmp_path)
    entries = list(index.images())
    assert len(entries) == 4 and not index.errors
    assert {(e.rows, e.columns) for e in entries} == {(1024, 880)}


def test_png_exif_after_the_image_data_is_honoured_too(film, tmp_path):
    # PNG 3rd edition allows eXIf after IDAT; Pillow reads it once the pixels are decoded.
    path = png_with_late_exif(film, 6, tmp_path / "late_exif.png")
    np.testing.assert_allclose(load(path).pixels, film / 255.0, atol=1e-6)

"""The film as its header says it is (issue 21, items 3-5), built from a real NIH film.

Presentation LUT Shape INVERSE on MONOCHROME2 inverts (and is ignored on MONOCHROME1, which
states the inversion already); Pixel Padding Value is left out of the scaling and shown as
background; a window that blanks the film is ignored with a warning naming it. The last test
checks that the shipped model gives these films the probability of the plainly stored film.
"""

from __future__ import annotations

import numpy as np
import pytest

from cardioview.imaging import load
from tests.dicom_factory import write_dicom
from tests.imaging.declared_films import (
    PAD_COLUMNS,
    blanking_window,
    inverse_mono1,
    inverse_mono2,
    padded_12bit,
    plain_12bit,
    save_oriented,
)


def test_monochrome2_with_presentation_lut_inverse_is_inverted_and_named(nih_u8, tmp_path):
    xray = load(inverse_mono2(nih_u8, tmp_path / "inverse.dcm"))
    np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-6)
    assert xray.invert_display
    assert any("Presentation LUT Shape INVERSE" in w for w in xray.warnings)


def test_monochrome1_ignores_presentation_lut_inverse_by_the_standard(nih_u8, tmp_path):
    xray = load(inverse_mono1(nih_u8, tmp_path / "m1.dcm"))
    np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-6)  # inverted once, not twice
    assert not any("Presentation LUT" in w for w in xray.warnings)


@pytest.mark.parametrize("range_limit", [False, True], ids=["value", "range-limit"])
def test_pixel_padding_is_left_out_of_scaling_and_shown_as_background(nih_u8, tmp_path, range_limit):
    assert nih_u8[:, :-PAD_COLUMNS].min() == 0 and nih_u8[:, :-PAD_COLUMNS].max() == 255  # same range either way
    plain = load(plain_12bit(nih_u8, tmp_path / "plain.dcm"))
    padded = load(padded_12bit(nih_u8, tmp_path / "padded.dcm", range_limit=range_limit))
    np.testing.assert_allclose(padded.pixels, plain.pixels, atol=1e-6)
    assert float(padded.pixels[:, -PAD_COLUMNS:].max()) == 0.0
    # re-windowing in the viewer shows the padding as black too
    assert float(padded.modality_pixels[:, -PAD_COLUMNS:].max()) == float(padded.modality_pixels.min())


def test_padding_on_a_monochrome1_film_is_background_too(nih_u8, tmp_path):
    stored = (255 - nih_u8).astype(np.uint16) * 16
    stored[:, -PAD_COLUMNS:] = 4095
    xray = load(
        write_dicom(
            tmp_path / "m1pad.dcm", stored, photometric="MONOCHROME1", bits_stored=12, extra={"PixelPaddingValue": 4095}
        )
    )
    assert float(xray.pixels[:, -PAD_COLUMNS:].max()) == 0.0
    np.testing.assert_allclose(xray.pixels[:, :-PAD_COLUMNS], nih_u8[:, :-PAD_COLUMNS] / 255.0, atol=1e-6)


def test_a_film_of_padding_only_is_refused_with_a_reason(nih_u8, tmp_path):
    from cardioview.errors import UnsupportedImageError

    path = write_dicom(
        tmp_path / "allpad.dcm", np.full((256, 256), 4095, np.uint16), bits_stored=12, extra={"PixelPaddingValue": 4095}
    )
    with pytest.raises(UnsupportedImageError, match="Pixel Padding Value"):
        load(path)


def test_a_window_that_blanks_the_film_is_ignored_with_a_warning_naming_it(nih_u8, tmp_path):
    xray = load(blanking_window(nih_u8, tmp_path / "blank_window.dcm"))
    np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-6)  # the film's own range instead
    assert any("Window Center 250 / Width 4" in w and "black or white" in w for w in xray.warnings), xray.warnings


def test_a_real_window_is_still_applied(nih_u8, tmp_path):
    # A lung-like window that saturates the mediastinum and the background: most of the film still reads.
    xray = load(write_dicom(tmp_path / "lung.dcm", nih_u8, windows=[(100.0, 120.0, "lung")]))
    assert xray.warnings == ()
    assert float(xray.pixels.max()) == 1.0 and 0.0 < float(xray.pixels.mean()) < 1.0


def test_shipped_model_reads_these_films_as_the_plainly_stored_one(nih_u8, tmp_path, shipped_bundle):
    from cardioview.inference.predictor import Predictor

    predictor = Predictor(shipped_bundle, backend="onnx", device="cpu")
    film = np.ascontiguousarray(nih_u8[:, 72:952])
    reference = write_dicom(tmp_path / "film.dcm", film)
    cases = {
        "TIFF Orientation 6": save_oriented(film, 6, "tiff", tmp_path / "o6.tif"),
        "PNG eXIf Orientation 6": save_oriented(film, 6, "png", tmp_path / "o6.png"),
        "JPEG Orientation 8": save_oriented(film, 8, "jpeg", tmp_path / "o8.jpg"),
        "MONOCHROME2 INVERSE": inverse_mono2(film, tmp_path / "inverse.dcm"),
        "blanking window": blanking_window(film, tmp_path / "window.dcm"),
    }
    p_reference = predictor.predict(load(reference)).probability
    gaps = {name: abs(predictor.predict(load(path)).probability - p_reference) for name, path in cases.items()}
    p_plain12 = predictor.predict(load(plain_12bit(film, tmp_path / "plain12.dcm"))).probability
    gaps["Pixel Padding Value"] = abs(
        predictor.predict(load(padded_12bit(film, tmp_path / "pad12.dcm"))).probability - p_plain12
    )
    assert max(gaps.values()) <= 0.03, gaps

"""One NIH chest X-ray, five encodings (PNG and four DICOMs): the same display pixels."""

from __future__ import annotations

import numpy as np
import pytest

from cardioview.imaging import load


def test_the_source_image_spans_the_full_8_bit_range(nih_u8):
    # Precondition of the no-window variants, which are min-max scaled.
    assert nih_u8.min() == 0 and nih_u8.max() == 255


@pytest.mark.parametrize("variant", ["png", "mono2", "mono1", "mono2_windowed", "mono1_windowed"])
def test_every_encoding_displays_as_v_over_255(nih_paths, nih_u8, variant):
    xray = load(nih_paths[variant])
    np.testing.assert_allclose(xray.pixels, nih_u8.astype(np.float32) / 255.0, atol=1e-5)
    assert xray.invert_display == variant.startswith("mono1")


def test_rescaled_variant_keeps_modality_values_and_both_windows(nih_paths, nih_u8):
    xray = load(nih_paths["mono1_windowed"])
    np.testing.assert_array_equal(xray.modality_pixels, 8.0 * (255 - nih_u8.astype(np.float32)))
    assert [w.explanation for w in xray.windows] == [
        "maps back to 8-bit",
        "a second window that must not be applied by default",
    ]
    assert xray.bits_stored == 13


def test_png_variant_has_no_dicom_metadata(nih_paths):
    xray = load(nih_paths["png"])
    assert xray.modality_pixels is None and xray.windows == () and xray.metadata.modality == ""
    assert xray.bits_stored == 8 and xray.warnings == ()

"""DICOM loading on real files: polarity, LUT order, codecs, colour, multi-frame, metadata."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from cardioview.errors import ImageLoadError
from cardioview.imaging import load
from cardioview.imaging.suitability import AP_VIEW_WARNING
from cardioview.imaging.xray import Window
from tests.conftest import REPO_ROOT
from tests.dicom_factory import pydicom_file, region_mean, write_dicom

# Boxes (fractions of height/width) picked by inspecting RG1: patient's right
# and left upper lungs, and the mediastinum/spine column between them.
RIGHT_LUNG = (0.20, 0.40, 0.20, 0.35)
LEFT_LUNG = (0.20, 0.40, 0.65, 0.80)
MEDIASTINUM = (0.15, 0.60, 0.46, 0.54)


@pytest.fixture(scope="module")
def rg1():
    return load(pydicom_file("RG1_UNCR.dcm"))


def test_monochrome1_chest_shows_lungs_dark_and_mediastinum_bright(rg1):
    lungs = max(region_mean(rg1.pixels, *RIGHT_LUNG), region_mean(rg1.pixels, *LEFT_LUNG))
    assert region_mean(rg1.pixels, *MEDIASTINUM) > lungs + 0.2
    assert rg1.invert_display


def test_rg1_keeps_modality_pixels_windows_and_header_facts(rg1):
    ds = pydicom.dcmread(pydicom_file("RG1_UNCR.dcm"))
    assert rg1.pixels.dtype == np.float32 and rg1.shape == (1955, 1841)
    assert 0.0 <= rg1.pixels.min() and rg1.pixels.max() <= 1.0
    np.testing.assert_array_equal(rg1.modality_pixels, ds.pixel_array.astype(np.float32))
    assert rg1.windows == (Window(15000.0, 30000.0, ""),)
    assert rg1.bits_stored == 15
    assert rg1.pixel_spacing is None  # the header says 0\0, i.e. unknown
    meta = rg1.metadata
    assert (meta.modality, meta.body_part, meta.view_position) == ("CR", "CHEST", "PA")
    assert meta.patient_name == "CompressedSamples^RG1" and meta.patient_sex == "F"
    assert meta.sop_instance_uid == ds.SOPInstanceUID and meta.study_date == "20040826"
    assert meta.photometric_interpretation == "MONOCHROME1"
    assert meta.transfer_syntax == "Explicit VR Little Endian"
    assert rg1.warnings == ()


def test_window_then_inversion_matches_the_dicom_formula(rg1):
    # PS3.3 C.11.2.1.2.1 LINEAR window on the stored values, then MONOCHROME1 inversion.
    stored = pydicom.dcmread(pydicom_file("RG1_UNCR.dcm")).pixel_array.astype(np.float64)
    center, width = 15000 - 0.5, 30000 - 1
    expected = 1.0 - np.clip((stored - center) / width + 0.5, 0, 1)
    np.testing.assert_allclose(rg1.pixels, expected, atol=1e-5)


def test_jpeg2000_lossless_equals_uncompressed(rg1):
    j2kr = load(pydicom_file("RG1_J2KR.dcm"))
    np.testing.assert_array_equal(j2kr.pixels, rg1.pixels)
    assert j2kr.metadata.transfer_syntax.startswith("JPEG 2000")


def test_jpeg2000_lossy_is_close_to_uncompressed(rg1):
    j2ki = load(pydicom_file("RG1_J2KI.dcm"))
    difference = np.abs(j2ki.pixels - rg1.pixels)
    assert difference.mean() < 0.005 and difference.max() < 0.05


@pytest.mark.parametrize(
    "compressed, reference, exact",
    [
        ("MR_small_jpeg_ls_lossless.dcm", "MR_small.dcm", True),  # JPEG-LS lossless
        ("MR_small_RLE.dcm", "MR_small.dcm", True),  # RLE
        ("MR_small_jp2klossless.dcm", "MR_small.dcm", True),  # JPEG 2000 lossless
        ("emri_small_jpeg_ls_lossless.dcm", "emri_small.dcm", True),
        ("SC_rgb_jpeg_gdcm.dcm", "SC_rgb.dcm", True),  # JPEG lossless SV1, RGB
        ("SC_rgb_rle.dcm", "SC_rgb.dcm", True),
        ("SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb.dcm", False),  # JPEG baseline, RGB
        ("SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb.dcm", False),  # JPEG baseline, YBR_FULL_422
        ("SC_rgb_jpeg_lossy_gdcm.dcm", "SC_rgb.dcm", False),  # JPEG baseline, YBR_FULL
        ("SC_ybr_full_uncompressed.dcm", "SC_rgb.dcm", False),  # native YBR_FULL -> RGB first
        ("JPEG2000.dcm", "JPEG2000_UNC.dcm", False),  # JPEG 2000 lossy
    ],
)
def test_compressed_syntaxes_decode_like_their_uncompressed_twin(compressed, reference, exact):
    got, expected = load(pydicom_file(compressed)).pixels, load(pydicom_file(reference)).pixels
    if exact:
        np.testing.assert_array_equal(got, expected)
    else:
        assert np.abs(got - expected).mean() < 0.02


def test_jpeg_lossless_16_bit_decodes():
    xray = load(pydicom_file("JPEG-LL.dcm"))  # JPEG Lossless SV1, signed 16-bit NM
    ds = pydicom.dcmread(pydicom_file("JPEG-LL.dcm"))
    np.testing.assert_array_equal(xray.modality_pixels, apply_modality_lut(ds.pixel_array, ds).astype(np.float32))
    assert xray.pixels.std() > 0.01


def test_jpeg_lossless_8_bit_gray_decodes():
    xray = load(pydicom_file("JPGLosslessP14SV1_1s_1f_8b.dcm"))
    assert xray.shape == (768, 1024) and xray.pixels.std() > 0.01


def test_rgb_becomes_gray_with_modality_and_colour_warnings():
    xray = load(pydicom_file("SC_rgb.dcm"))
    rgb = pydicom.dcmread(pydicom_file("SC_rgb.dcm")).pixel_array.astype(np.float32)
    np.testing.assert_allclose(xray.pixels, (rgb @ [0.299, 0.587, 0.114]) / 255.0, atol=1e-5)
    assert any("modality OT" in w for w in xray.warnings)
    assert any("colour image" in w for w in xray.warnings)
    assert xray.windows == () and not xray.invert_display


def test_multiframe_loads_first_frame_with_a_warning():
    xray = load(pydicom_file("emri_small.dcm"))
    ds = pydicom.dcmread(pydicom_file("emri_small.dcm"))
    first = ds.pixel_array[0].astype(np.float32)
    np.testing.assert_array_equal(xray.modality_pixels, first)
    np.testing.assert_allclose(xray.pixels, (first - first.min()) / (first.max() - first.min()), atol=1e-6)
    assert any("frame 1 of 10" in w for w in xray.warnings)
    assert (xray.frame, xray.frames) == (0, 1 + 9)


@pytest.mark.parametrize("name", ["emri_small.dcm", "emri_small_jpeg_2k_lossless.dcm", "emri_small_RLE.dcm"])
def test_any_frame_of_a_multiframe_file_loads(name):
    """issue 18: frame k of a native or compressed multi-frame file, by the same path as frame 1."""
    ds = pydicom.dcmread(pydicom_file("emri_small.dcm"))
    for index in (4, 9):
        xray = load(pydicom_file(name), frame=index)
        np.testing.assert_array_equal(xray.modality_pixels, ds.pixel_array[index].astype(np.float32))
        assert (xray.frame, xray.frames) == (index, 10)
        assert any(f"frame {index + 1} of 10" in w for w in xray.warnings)


def test_a_frame_the_file_does_not_have_is_refused_by_name():
    with pytest.raises(ImageLoadError, match="emri_small.dcm: frame 11 asked for; the file has 10 frame"):
        load(pydicom_file("emri_small.dcm"), frame=10)
    with pytest.raises(ImageLoadError, match="only DICOM files have more than one"):
        load(REPO_ROOT / "resources" / "samples" / "nih_00000001_000_cardiomegaly.png", frame=1)


@pytest.mark.parametrize("name, modality", [("MR_small.dcm", "MR"), ("CT_small.dcm", "CT")])
def test_mr_and_ct_carry_suitability_warnings(name, modality):
    xray = load(pydicom_file(name))
    assert any(f"modality {modality}" in w for w in xray.warnings)


def test_extremity_ap_carries_body_part_and_ap_warnings():
    xray = load(pydicom_file("RG3_UNCR.dcm"))
    assert any("body part EXTREMITY" in w for w in xray.warnings)
    assert AP_VIEW_WARNING in xray.warnings


def test_ct_rescale_is_applied_to_modality_pixels():
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    xray = load(pydicom_file("CT_small.dcm"))
    np.testing.assert_array_equal(xray.modality_pixels, (ds.pixel_array * 1.0 - 1024).astype(np.float32))
    assert xray.pixel_spacing == pytest.approx((0.661468, 0.661468))


def test_modality_lut_sequence_is_applied():
    ds = pydicom.dcmread(pydicom_file("mlut_18.dcm"))
    xray = load(pydicom_file("mlut_18.dcm"))
    expected = apply_modality_lut(ds.pixel_array, ds).astype(np.float32)
    np.testing.assert_array_equal(xray.modality_pixels, expected)
    np.testing.assert_allclose(xray.pixels, (expected - expected.min()) / (expected.max() - expected.min()), atol=1e-6)


def test_voi_lut_sequence_is_applied_and_scaled_by_the_lut_range():
    ds = pydicom.dcmread(pydicom_file("vlut_04.dcm"))
    item = ds.VOILUTSequence[0]
    lut = np.asarray(item.LUTData, dtype=np.float64)
    xray = load(pydicom_file("vlut_04.dcm"))
    expected = lut[np.clip(ds.pixel_array.astype(int) - item.LUTDescriptor[1], 0, len(lut) - 1)]
    np.testing.assert_allclose(xray.pixels, (expected - lut.min()) / (lut.max() - lut.min()), atol=1e-6)


def test_bare_dataset_without_preamble_and_palette_colour_loads():
    xray = load(pydicom_file("OT-PAL-8-face.dcm"))  # no 'DICM', implicit VR, PALETTE COLOR
    assert xray.shape == (480, 640) and xray.pixels.std() > 0.05
    assert any("PALETTE COLOR" in w for w in xray.warnings)
    assert xray.metadata.transfer_syntax == "Implicit VR Little Endian"


def test_all_windows_are_kept_and_the_first_is_applied(tmp_path):
    stored = pydicom.dcmread(pydicom_file("MR_small.dcm")).pixel_array  # real MR values, int16
    windows = [(600.0, 1600.0, "SOFT"), (100.0, 50.0, "NARROW")]
    path = write_dicom(tmp_path / "w.dcm", stored, windows=windows, modality="DX")
    xray = load(path)
    assert xray.windows == (Window(600.0, 1600.0, "SOFT"), Window(100.0, 50.0, "NARROW"))
    expected = np.clip((stored - 599.5) / 1599.0 + 0.5, 0, 1)
    np.testing.assert_allclose(xray.pixels, expected, atol=1e-5)


def test_imager_pixel_spacing_is_used_when_pixel_spacing_is_absent(tmp_path):
    stored = pydicom.dcmread(pydicom_file("MR_small.dcm")).pixel_array
    path = write_dicom(tmp_path / "s.dcm", stored, extra={"ImagerPixelSpacing": [0.143, 0.15]})
    assert load(path).pixel_spacing == pytest.approx((0.143, 0.15))

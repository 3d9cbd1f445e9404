"""Sections 2 and 3 of issue 9: specific reasons, and no silent wrong result."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cardioview.errors import ImageLoadError
from cardioview.imaging import load
from tests.imaging.hostile_files import edited

CT = "CT_small.dcm"  # signed 16-bit MONOCHROME2 with a rescale and a window
MR = "MR_small.dcm"


def _unchecked(ds, keyword, value):
    """Store a value pydicom would refuse to set (what a broken writer does)."""
    from pydicom.datadict import tag_for_keyword

    ds.add_new(tag_for_keyword(keyword), "LO", value)  # text where the dictionary says IS


def _reason(path) -> str:
    with pytest.raises(ImageLoadError) as err:
        load(path)
    text = str(err.value)
    assert "could not read the image" not in text, text
    return text


def test_badvr_names_number_of_frames():
    assert "Number of Frames is not a number" in _reason(get_testdata_file("badVR.dcm"))  # its value not echoed


@pytest.mark.parametrize(
    "edit,reason",
    [
        (lambda ds: delattr(ds, "PhotometricInterpretation"), "PhotometricInterpretation is missing"),
        (lambda ds: _unchecked(ds, "NumberOfFrames", "NaN"), "Number of Frames is not a number"),
        (lambda ds: setattr(ds, "PixelData", b""), "Pixel Data is empty"),
        (lambda ds: setattr(ds, "SamplesPerPixel", 3), "MONOCHROME2 data with Samples per Pixel 3"),
    ],
)
def test_pixel_module_faults_name_the_attribute(tmp_path, edit, reason):
    assert reason in _reason(edited(MR, tmp_path / "x.dcm", edit))


def test_multi_valued_rescale_slope_names_the_modality_lut(tmp_path):
    def edit(ds):
        ds.RescaleSlope = [1, 2]

    assert "unusable Rescale Slope/Intercept" in _reason(edited(CT, tmp_path / "x.dcm", edit))


def test_modality_lut_descriptor_of_65535_bits(tmp_path):
    def edit(ds):
        item = Dataset()
        item.add_new(0x00283002, "US", [4, 0, 65535])  # LUT Descriptor: 65535 bits per entry
        item.ModalityLUTType = "HU"
        item.add_new(0x00283006, "OW", np.arange(4, dtype="<u2").tobytes())
        ds.ModalityLUTSequence = Sequence([item])
        del ds.RescaleSlope, ds.RescaleIntercept

    assert "unusable Modality LUT Sequence" in _reason(edited(CT, tmp_path / "x.dcm", edit))


def test_voi_lut_shorter_than_its_descriptor_is_ignored_with_a_warning(tmp_path):
    def edit(ds):
        item = Dataset()
        item.add_new(0x00283002, "US", [4096, 0, 16])  # 4096 entries declared...
        item.add_new(0x00283006, "OW", np.arange(3, dtype="<u2").tobytes())  # ...3 stored
        ds.VOILUTSequence = Sequence([item])

    xray = load(edited(CT, tmp_path / "x.dcm", edit))
    assert any("VOI LUT" in w and "ignored" in w for w in xray.warnings)
    assert np.isfinite(xray.pixels).all() and xray.pixels.max() > xray.pixels.min()


def test_palette_colour_without_its_lut(tmp_path):
    def edit(ds):
        ds.PhotometricInterpretation = "PALETTE COLOR"

    assert "Palette Color Lookup Table" in _reason(edited(MR, tmp_path / "x.dcm", edit))


def test_deflated_explicit_vr_file_is_read():
    xray = load(get_testdata_file("image_dfl.dcm"))
    assert xray.pixels.shape == (512, 512) and xray.pixels.max() > xray.pixels.min()


@pytest.mark.parametrize("keyword", ["RescaleSlope", "RescaleIntercept"])
@pytest.mark.parametrize("value", ["NaN", "inf", "-inf"])
def test_non_finite_rescale_is_an_error(tmp_path, keyword, value):
    assert "non-finite" in _reason(edited(CT, tmp_path / "x.dcm", lambda ds: setattr(ds, keyword, value)))


@pytest.mark.parametrize(
    "center,width,why",
    [
        ("NaN", "400", "not a usable window"),
        ("40", "inf", "not a usable window"),
        ("1e30", "400", "lies outside the pixel range"),
        ("-1e30", "10", "lies outside the pixel range"),
    ],
)
def test_unusable_window_is_ignored_with_a_warning(tmp_path, center, width, why):
    def edit(ds):
        ds.WindowCenter, ds.WindowWidth = center, width

    xray = load(edited(CT, tmp_path / "x.dcm", edit))
    plain = load(get_testdata_file(CT))
    assert any(why in w for w in xray.warnings), xray.warnings
    assert np.isfinite(xray.pixels).all() and xray.pixels.std() > 0.05
    assert not any("ignored" in w for w in plain.warnings)


def test_one_nan_pixel_in_a_float_tiff_is_an_error(tmp_path):
    values = np.random.default_rng(0).random((64, 64), dtype=np.float32)
    values[10, 10] = np.nan
    path = tmp_path / "float.tif"
    Image.fromarray(values, mode="F").save(path)
    with pytest.raises(ImageLoadError, match="non-finite"):
        load(path)


@pytest.mark.parametrize("tag_type", [2, 5, 12])  # ASCII, RATIONAL, DOUBLE where StripOffsets must be an integer
def test_a_tiff_whose_strip_offsets_have_the_wrong_type_gets_a_tag_reason(tmp_path, tag_type):
    import io
    import struct

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.arange(64 * 64) % 256).astype(np.uint8).reshape(64, 64)).save(buf, format="TIFF")
    data = bytearray(buf.getvalue())
    ifd = struct.unpack("<I", data[4:8])[0]
    for i in range(struct.unpack("<H", data[ifd : ifd + 2])[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack("<H", data[entry : entry + 2])[0] == 273:  # StripOffsets
            data[entry + 2 : entry + 4] = struct.pack("<H", tag_type)
    path = tmp_path / "strips.tif"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageLoadError, match="TIFF header is malformed: a tag") as info:
        load(path)
    assert "strips.tif" in str(info.value) and "TypeError" not in str(info.value)

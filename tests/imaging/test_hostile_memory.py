"""Section 4 of issue 9: the codestream's own size is checked before decoding; inflation is bounded."""

from __future__ import annotations

import zlib

import pytest
from pydicom.data import get_testdata_file

from cardioview.errors import ImageLoadError, ImageTooLargeError
from cardioview.imaging import load
from cardioview.imaging.dicom_header import check_inflated_size
from tests.imaging.hostile_files import edited, j2k_siz_bomb, jpeg_sof_bomb


def test_j2k_siz_of_65000_squared_is_refused_before_decoding(tmp_path):
    path = edited("JPEG2000.dcm", tmp_path / "bomb.dcm", j2k_siz_bomb)
    with pytest.raises(ImageTooLargeError, match="65000x65000 px .* over the 100 MP pixel budget"):
        load(path)


def test_j2k_siz_inside_the_budget_but_not_the_header_is_refused(tmp_path):
    path = edited("JPEG2000.dcm", tmp_path / "liar.dcm", lambda ds: j2k_siz_bomb(ds, 4000))
    with pytest.raises(ImageLoadError, match=r"JPEG 2000 codestream is 4000x4000 px but the DICOM header"):
        load(path)


def test_jpeg_ls_sof55_of_30000_squared_is_not_accepted_as_the_header_size(tmp_path):
    path = edited("JPEGLSNearLossless_16.dcm", tmp_path / "bomb.dcm", lambda ds: jpeg_sof_bomb(ds, 30000, 30000))
    with pytest.raises(ImageTooLargeError, match="30000x30000 px"):
        load(path)


def test_jpeg_sof_of_65500_by_1024_is_refused(tmp_path):
    path = edited("SC_rgb_jpeg_dcmtk.dcm", tmp_path / "bomb.dcm", lambda ds: jpeg_sof_bomb(ds, 65500, 1024))
    with pytest.raises(ImageLoadError, match="JPEG codestream is 1024x65500 px but the DICOM header"):
        load(path)


def test_decoded_frame_size_is_checked_before_decoding(tmp_path):
    def edit(ds):  # a header inside the 100 MP budget whose 64-bit RGB frame would take 2.4 GB
        ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 10000, 10000, 64, 64, 63
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0

    with pytest.raises(ImageTooLargeError, match="one decoded frame would take 2,400 MB"):
        load(edited("MR_small.dcm", tmp_path / "big.dcm", edit))


def test_deflate_bomb_is_refused_while_inflating(tmp_path):
    source = get_testdata_file("image_dfl.dcm")
    raw = open(source, "rb").read()
    # Keep the preamble and file meta; replace the deflated dataset with 600 MB of zeros, deflated.
    meta_end = raw.index(b"\x02\x00\x10\x00")  # (0002,0010) Transfer Syntax UID
    meta_end = (
        raw.index(b"1.2.840.10008.1.2.1.99", meta_end)
        + len("1.2.840.10008.1.2.1.99")
        + 1
        - (len("1.2.840.10008.1.2.1.99") % 2 == 0)
    )
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    body = b"".join(deflater.compress(chunk) for _ in range(600)) + deflater.flush()
    bomb = tmp_path / "bomb.dcm"
    bomb.write_bytes(raw[:meta_end] + body)
    with pytest.raises(ImageLoadError, match="inflates past 512 MB"):
        check_inflated_size(bomb)
    with pytest.raises(ImageLoadError, match="inflates past 512 MB"):
        load(bomb)


@pytest.mark.parametrize("name", ["SC_rgb_jpeg_dcmtk.dcm", "SC_ybr_full_uncompressed.dcm"])
def test_ybr_films_convert_to_the_same_gray_as_pydicoms_whole_frame_rgb(name):
    """YBR stays YBR through decoding and becomes RGB per row chunk (no whole-frame float copies):
    the gray is pydicom's own RGB conversion's luma, to the bit, also across chunk boundaries."""
    import numpy as np
    import pydicom
    from pydicom.pixels import convert_color_space, pixel_array

    from cardioview.imaging.grayscale import CHUNK_ROWS, luma_in_chunks, luminance

    path = get_testdata_file(name)
    reference = luminance(pixel_array(path))  # pydicom's default: the whole frame converted to RGB
    loaded = load(path)
    assert np.array_equal(loaded.modality_pixels, reference)
    ybr = pixel_array(path, as_rgb=False)
    assert pydicom.dcmread(path).PhotometricInterpretation.startswith("YBR")
    tall = np.ascontiguousarray(np.tile(ybr, (CHUNK_ROWS // ybr.shape[0] + 3, 1, 1)))  # several chunks
    gray, _ = luma_in_chunks(tall, photometric="YBR_FULL")
    assert np.array_equal(gray, luminance(convert_color_space(tall, "YBR_FULL", "RGB")))

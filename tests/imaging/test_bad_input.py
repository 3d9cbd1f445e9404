"""Bad input: every case fails with an ImageLoadError (or subclass) and a one-line reason."""

from __future__ import annotations

import struct
import tracemalloc
import zlib

import numpy as np
import pydicom
import pytest
from pydicom.pixels import get_decoder
from pydicom.uid import JPEG2000Lossless

import cardioview.imaging.loader as loader
from cardioview.errors import ImageLoadError, ImageTooLargeError, MissingDecoderError, UnsupportedImageError
from cardioview.imaging import load
from tests.dicom_factory import pydicom_file, write_dicom


def _load_error(path, expected=ImageLoadError, **kwargs) -> ImageLoadError:
    with pytest.raises(expected) as info:
        load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path.name}: "), message
    assert info.value.path == path
    return info.value


def _png(width: int, height: int, pixels: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    assert _load_error(path).reason == "empty file"


@pytest.mark.parametrize("cut", [600, 1500, 3_600_000])  # in the header, at Rows, inside the pixel data
def test_truncated_dicom(tmp_path, cut):
    path = tmp_path / "truncated.dcm"
    path.write_bytes(pydicom_file("RG1_UNCR.dcm").read_bytes()[:cut])
    assert "truncated DICOM" in _load_error(path).reason


def test_truncated_pixel_data_of_a_real_file():
    assert "truncated DICOM" in _load_error(pydicom_file("MR_truncated.dcm")).reason


def test_random_bytes_after_the_dicm_preamble(tmp_path):
    path = tmp_path / "random.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + np.random.default_rng(7).bytes(4000))
    error = _load_error(path)
    assert "corrupt DICOM" in error.reason


def test_dicom_header_without_pixel_data(tmp_path):
    ds = pydicom.dcmread(pydicom_file("RG1_UNCR.dcm"), stop_before_pixels=True)
    path = tmp_path / "no_pixels.dcm"
    ds.save_as(path)
    error = _load_error(path, UnsupportedImageError)
    assert "no pixel data" in error.reason and "1841x1955" in error.reason


def test_non_image_dicom(tmp_path):
    error = _load_error(pydicom_file("rtplan.dcm"), UnsupportedImageError)
    assert "RT Plan Storage" in error.reason


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("Patient doing well, see attached X-ray.\n")
    error = _load_error(path)
    assert "not a valid PNG image" in error.reason and "text" in error.reason


def test_text_file_with_another_name_is_unsupported(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert "not a DICOM, PNG, JPEG, TIFF or BMP image" in _load_error(path, UnsupportedImageError).reason


def test_dcm_named_file_that_is_not_dicom(tmp_path):
    path = tmp_path / "fake.dcm"
    path.write_bytes(b"%PDF-1.7 not a dicom at all" * 10)
    assert "not a DICOM file" in _load_error(path, UnsupportedImageError).reason


def test_folder_is_not_an_image(tmp_path):
    assert "not a file" in _load_error(tmp_path, UnsupportedImageError).reason


def _refused_without_allocating(path) -> ImageTooLargeError:
    tracemalloc.start()
    try:
        error = _load_error(path, ImageTooLargeError)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"peak {peak:,} bytes: pixels were allocated before refusing"
    return error


def test_png_declaring_a_gigantic_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png(100_000, 100_000, b"\0" * 1000))  # 10 GP declared, a few bytes of data
    error = _refused_without_allocating(path)
    assert "100000x100000" in error.reason and "pixel budget" in error.reason


@pytest.mark.parametrize(
    "side, says",
    [
        (12_000, "pixel budget"),  # 144 MP: over our budget, under Pillow's own bomb limit
        (60_000, "gigantic image"),  # 3.6 GP: Pillow refuses while reading the header
    ],
)
def test_bmp_declaring_a_gigantic_image_is_refused_before_decoding(tmp_path, side, says):
    header = struct.pack("<2sIHHI", b"BM", 54 + 16, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 24, 0, 16, 2835, 2835, 0, 0)
    path = tmp_path / "bomb.bmp"
    path.write_bytes(header + info + b"\0" * 16)
    assert says in _refused_without_allocating(path).reason


def test_dicom_declaring_a_gigantic_image_is_refused_before_decoding(tmp_path):
    stored = np.zeros((4, 4), np.uint16)
    path = write_dicom(tmp_path / "bomb.dcm", stored, rows=65535, columns=65535, extra={"NumberOfFrames": 10})
    error = _refused_without_allocating(path)
    assert "65535x65535" in error.reason and "10 frames" in error.reason


def test_pixel_budget_is_a_parameter(tmp_path):
    path = pydicom_file("MR_small.dcm")  # 64x64
    _load_error(path, ImageTooLargeError, pixel_budget=64 * 64 - 1)
    assert load(path, pixel_budget=64 * 64).shape == (64, 64)


@pytest.mark.parametrize("kind", ["png", "dicom"])
def test_constant_image(tmp_path, kind):
    flat = np.full((256, 256), 1234, np.uint16)
    if kind == "png":
        import cv2

        path = tmp_path / "flat.png"
        cv2.imwrite(str(path), flat)
    else:
        path = write_dicom(tmp_path / "flat.dcm", flat, windows=[(1000.0, 400.0, "")])
    error = _load_error(path, UnsupportedImageError)
    assert "constant image" in error.reason and "1234" in error.reason


def test_jpeg_2000_without_its_plugins_names_the_syntax_and_packages(monkeypatch):
    # Simulate an install without pylibjpeg-openjpeg, pillow and gdcm: the
    # decoder's registry of working plugins is emptied for this test only.
    monkeypatch.setattr(get_decoder(JPEG2000Lossless), "_available", {})
    error = _load_error(pydicom_file("MR_small_jp2klossless.dcm"), MissingDecoderError)
    assert "JPEG 2000 Image Compression (Lossless Only)" in error.reason
    assert "1.2.840.10008.1.2.4.90" in error.reason and "pylibjpeg-openjpeg" in error.reason


def test_12_bit_jpeg_extended_names_the_gpl_plugin_it_would_need():
    # Real gap: only pylibjpeg-libjpeg (GPL) decodes 12-bit JPEG Extended; we do not ship it.
    error = _load_error(pydicom_file("JPGExtended.dcm"), MissingDecoderError)
    assert "1.2.840.10008.1.2.4.51" in error.reason and "pylibjpeg-libjpeg" in error.reason


def test_unknown_transfer_syntax(tmp_path):
    ds = pydicom.dcmread(pydicom_file("MR_small_RLE.dcm"))
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5.6.7"  # private, encapsulated data
    path = tmp_path / "private.dcm"
    ds.save_as(path)
    error = _load_error(path, UnsupportedImageError)
    assert "1.2.3.4.5.6.7" in error.reason


def test_unexpected_library_failure_becomes_one_line(monkeypatch, tmp_path):
    def explode(path, pixel_budget, frame=0):
        raise KeyError("internal\nmulti-line detail")

    monkeypatch.setattr(loader, "load_dicom", explode)
    error = _load_error(pydicom_file("MR_small.dcm"))
    assert type(error) is ImageLoadError and "KeyError" in error.reason


def test_missing_file(tmp_path):
    assert _load_error(tmp_path / "nowhere.dcm").reason == "no such file"


def test_jpeg2000_cut_short_is_reported_as_truncated_not_as_without_pixels():
    error = _load_error(pydicom_file("emri_small_jpeg_2k_lossless_too_short.dcm"))
    assert "truncated DICOM" in error.reason and "no pixel data" not in error.reason

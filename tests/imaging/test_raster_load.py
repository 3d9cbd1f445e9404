"""PNG / JPEG / TIFF / BMP loading: bit depths, colour, alpha, orientation, odd paths."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from cardioview.imaging import load
from tests.dicom_factory import NIH1024


def _write(path, image, params=()):
    ok, encoded = cv2.imencode(path.suffix, image, list(params))
    assert ok
    path.write_bytes(encoded.tobytes())
    return path


def test_nih_png_loads_as_v_over_255():
    path = NIH1024 / "00000002_000.png"
    if not path.is_file():
        pytest.skip(f"NIH images not found at {NIH1024}")
    xray = load(path)
    expected = cv2.imread(str(path), cv2.IMREAD_UNCHANGED).astype(np.float32) / 255.0
    np.testing.assert_array_equal(xray.pixels, expected)
    assert xray.bits_stored == 8 and xray.modality_pixels is None and xray.warnings == ()


def test_16_bit_png_using_16_bits_is_divided_by_65535(nih_u8, tmp_path):
    xray = load(_write(tmp_path / "x16.png", nih_u8.astype(np.uint16) * 257))
    np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-6)
    assert xray.bits_stored == 16


def test_12_bit_values_in_a_16_bit_png_are_scaled_by_their_12_bit_range(nih_u8, tmp_path):
    stored = ((nih_u8.astype(np.uint32) * 4095 + 127) // 255).astype(np.uint16)  # 0..4095, unscaled
    xray = load(_write(tmp_path / "x12.png", stored))
    np.testing.assert_allclose(xray.pixels, stored / 4095.0, atol=1e-6)
    assert xray.bits_stored == 12


def test_gray_stored_as_rgb_and_opaque_rgba_give_the_gray_image_without_warning(nih_u8, tmp_path):
    bgr = cv2.cvtColor(nih_u8, cv2.COLOR_GRAY2BGR)
    bgra = cv2.cvtColor(nih_u8, cv2.COLOR_GRAY2BGRA)
    for path in (_write(tmp_path / "rgb.png", bgr), _write(tmp_path / "rgba.png", bgra)):
        xray = load(path)
        np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-5)
        assert xray.warnings == ()


def test_transparent_rgba_is_composited_on_black(nih_u8, tmp_path):
    bgra = cv2.cvtColor(nih_u8, cv2.COLOR_GRAY2BGRA)
    bgra[:, :512, 3] = 0
    xray = load(_write(tmp_path / "half.png", bgra))
    assert float(xray.pixels[:, :512].max()) == 0.0
    np.testing.assert_allclose(xray.pixels[:, 512:], nih_u8[:, 512:] / 255.0, atol=1e-5)


def test_colour_picture_is_converted_with_a_warning(nih_u8, tmp_path):
    bgr = cv2.applyColorMap(nih_u8, cv2.COLORMAP_JET)
    xray = load(_write(tmp_path / "jet.png", bgr))
    assert "colour image converted to gray" in xray.warnings
    expected = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) / 255.0
    assert np.abs(xray.pixels - expected).max() < 1.0 / 255 + 1e-6


@pytest.mark.parametrize(
    "suffix, params, tolerance",
    [
        (".jpg", (cv2.IMWRITE_JPEG_QUALITY, 95), 0.02),
        (".tif", (), 0.0),
        (".bmp", (), 0.0),
    ],
)
def test_jpeg_tiff_and_bmp_load(nih_u8, tmp_path, suffix, params, tolerance):
    xray = load(_write(tmp_path / f"x{suffix}", nih_u8, params))
    assert np.abs(xray.pixels - nih_u8 / 255.0).mean() <= tolerance + 1e-7


def test_16_bit_tiff_loads(nih_u8, tmp_path):
    xray = load(_write(tmp_path / "x16.tif", nih_u8.astype(np.uint16) * 257))
    np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-6)


def test_content_decides_the_format_not_the_extension(nih_u8, tmp_path):
    png_named_jpg = tmp_path / "really_a_png.jpg"
    png_named_jpg.write_bytes(_write(tmp_path / "x.png", nih_u8).read_bytes())
    np.testing.assert_array_equal(load(png_named_jpg).pixels, nih_u8 / np.float32(255.0))


def test_non_ascii_path_loads(nih_u8, tmp_path):
    folder = tmp_path / "Röntgen 胸部"
    folder.mkdir()
    xray = load(_write(folder / "thorax ü.png", nih_u8))
    assert xray.shape == (1024, 1024) and xray.source.name == "thorax ü.png"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_like_pillow(tmp_path, orientation):
    # An asymmetric real-content image so every flip/rotation differs.
    gray = np.zeros((60, 90), np.uint8)
    gray[5:25, 10:70] = 250
    gray[30:55, 5:20] = 120
    path = tmp_path / f"o{orientation}.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(gray).save(path, quality=100, exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)), dtype=np.float32) / 255.0
    got = load(path).pixels
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 0.05


def test_small_image_carries_the_size_warning(nih_u8, tmp_path):
    small = cv2.resize(nih_u8, (100, 90), interpolation=cv2.INTER_AREA)
    xray = load(_write(tmp_path / "small.png", small))
    assert any("100x90 px" in w for w in xray.warnings)

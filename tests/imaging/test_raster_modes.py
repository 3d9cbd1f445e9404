"""Pillow decoding of the less common raster layouts: palette, gray + alpha, 1-bit, 16-bit colour, damage."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cardioview.errors import ImageLoadError
from cardioview.imaging import load


def _save(path, picture: Image.Image, **params):
    picture.save(path, **params)
    return path


def test_palette_png_is_expanded_through_its_palette(nih_u8, tmp_path):
    picture = Image.fromarray(nih_u8)
    picture.putpalette(bytes(v for i in range(256) for v in (255 - i,) * 3))  # inverted gray ramp
    assert picture.mode == "P"
    xray = load(_save(tmp_path / "palette.png", picture))
    np.testing.assert_allclose(xray.pixels, (255 - nih_u8) / 255.0, atol=1e-5)
    assert xray.warnings == ()


def test_gray_with_alpha_is_composited_on_black(nih_u8, tmp_path):
    alpha = np.full_like(nih_u8, 255)
    alpha[:, :300] = 0
    picture = Image.fromarray(np.dstack([nih_u8, alpha]), mode="LA")
    xray = load(_save(tmp_path / "la.png", picture))
    assert float(xray.pixels[:, :300].max()) == 0.0
    np.testing.assert_allclose(xray.pixels[:, 300:], nih_u8[:, 300:] / 255.0, atol=1e-5)


def test_one_bit_png_spans_zero_to_one(tmp_path):
    bits = np.zeros((64, 96), bool)
    bits[10:40, 20:70] = True
    xray = load(_save(tmp_path / "mask.png", Image.fromarray(bits)))
    np.testing.assert_array_equal(xray.pixels, bits.astype(np.float32))


def test_16_bit_colour_png_loads_at_8_bits_with_a_warning(nih_u8, tmp_path):
    cv2 = pytest.importorskip("cv2", reason="OpenCV writes the 16-bit colour PNG")
    wide = np.repeat((nih_u8.astype(np.uint16) * 257)[:, :, None], 3, axis=2)
    ok, encoded = cv2.imencode(".png", wide)
    assert ok
    path = tmp_path / "rgb16.png"
    path.write_bytes(encoded.tobytes())
    xray = load(path)
    np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-5)
    assert "16-bit colour read at 8 bits per channel" in xray.warnings


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg"), ("TIFF", ".tif")])
def test_truncated_file_names_the_damage(nih_u8, tmp_path, fmt, suffix):
    buffer = io.BytesIO()
    Image.fromarray(nih_u8).save(buffer, format=fmt)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageLoadError) as info:
        load(path)
    assert "corrupt or truncated" in info.value.reason and "\n" not in info.value.reason


def test_big_endian_16_bit_tiff(nih_u8, tmp_path):
    stored = nih_u8.astype(np.uint16) * 257
    picture = Image.frombytes("I;16B", stored.shape[::-1], stored.astype(">u2").tobytes())
    xray = load(_save(tmp_path / "be16.tif", picture))
    np.testing.assert_allclose(xray.pixels, nih_u8 / 255.0, atol=1e-6)
    assert xray.bits_stored == 16

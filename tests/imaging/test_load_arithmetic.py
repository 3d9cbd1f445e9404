"""The loaders' cheaper checks (issue 19, item 6: no float copy of 8/16-bit samples to test for NaN, no
full-size finiteness mask) give the pixels and the refusals they gave before."""

import numpy as np
import pytest
from PIL import Image

from cardioview.errors import ImageLoadError, UnsupportedImageError
from cardioview.imaging import load
from cardioview.imaging.dicom import require_finite_image
from tests.conftest import NIH1024, require_shared_data
from tests.dicom_factory import nih_image, write_dicom


def _two_step(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """The float computation: a float32 copy of the samples, then subtract, divide and clip."""
    out = (values.astype(np.float32) - np.float32(low)) / np.float32(high - low)
    return np.clip(out, 0.0, 1.0, out=out)


def test_an_8_bit_png_loads_as_its_samples_over_255(tmp_path):
    require_shared_data(NIH1024)
    path = NIH1024 / "images" / "00000001_000.png"
    samples = np.asarray(Image.open(path))
    xray = load(path)
    assert xray.pixels.dtype == np.float32
    np.testing.assert_array_equal(xray.pixels, samples.astype(np.float32) / np.float32(255.0))
    sixteen = tmp_path / "film16.png"
    Image.fromarray(samples.astype(np.uint16) * 16).save(sixteen)  # 12-bit values in a 16-bit PNG
    np.testing.assert_array_equal(load(sixteen).pixels, _two_step(samples.astype(np.uint16) * 16, 0.0, 4095.0))


def test_a_16_bit_dicom_loads_as_before(tmp_path):
    require_shared_data(NIH1024)
    stored = nih_image().astype(np.uint16) * 257
    xray = load(write_dicom(tmp_path / "film.dcm", stored, bits_stored=16, view="PA"))
    np.testing.assert_array_equal(xray.pixels, _two_step(stored, float(stored.min()), float(stored.max())))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_pixels_are_refused_without_a_mask(tmp_path, bad):
    pixels = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    require_finite_image(tmp_path / "x.dcm", pixels, "after the VOI window")  # a normal film passes
    pixels[10, 20] = bad
    with pytest.raises(ImageLoadError, match="non-finite"):
        require_finite_image(tmp_path / "x.dcm", pixels, "after the VOI window")
    with pytest.raises(UnsupportedImageError, match="blank"):
        require_finite_image(tmp_path / "x.dcm", np.full((8, 8), 0.25, np.float32), "after the VOI window")

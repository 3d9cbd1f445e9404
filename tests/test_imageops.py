"""cardioview.imageops: OpenCV's equalizeHist bit for bit, its INTER_AREA / INTER_LINEAR within rounding.

The comparisons with OpenCV (a test dependency, not the viewer's) run on the
real NIH images; the analytic checks run everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cardioview.imageops import equalize_hist, resize_for_display, resize_gray, to_uint8, upsample_smooth
from cardioview.inference.preprocess import preprocess
from cardioview.model.preprocess_spec import PreprocessSpec
from tests.conftest import CXR128, NIH1024, require_shared_data
from tests.dicom_factory import nih_image

cv2 = pytest.importorskip("cv2", reason="OpenCV (the reference implementation) is a test extra")


def _nih_images() -> list[np.ndarray]:
    folder = require_shared_data(NIH1024) / "images"
    return [np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))]


def _cxr_images(count: int = 200) -> list[np.ndarray]:
    folder = require_shared_data(CXR128) / "images"
    return [np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))[:count]]


def test_equalize_hist_is_bit_exact_on_every_nih_image():
    images = _nih_images()
    assert len(images) == 12
    for gray in images:
        assert gray.dtype == np.uint8 and gray.ndim == 2
        np.testing.assert_array_equal(equalize_hist(gray), cv2.equalizeHist(gray))


def test_equalize_hist_is_bit_exact_on_200_training_images():
    images = _cxr_images()
    assert len(images) == 200
    for gray in images:
        np.testing.assert_array_equal(equalize_hist(gray), cv2.equalizeHist(gray))


def test_equalize_hist_edge_cases_match_opencv():
    rng = np.random.default_rng(3)
    two_level = np.where(rng.random((37, 53)) < 0.3, 40, 200).astype(np.uint8)
    full_range = np.arange(256, dtype=np.uint8).repeat(3).reshape(24, 32)
    lowest_dominates = np.zeros((64, 64), np.uint8)
    lowest_dominates[:2, :] = rng.integers(1, 256, (2, 64), dtype=np.uint8)
    cases = {
        "constant": np.full((17, 9), 77, np.uint8),
        "single pixel": np.array([[5]], np.uint8),
        "two levels": two_level,
        "full range": full_range,
        "random": rng.integers(0, 256, (123, 77), dtype=np.uint8),
        "lowest level dominates": lowest_dominates,
        "narrow band": rng.integers(100, 104, (50, 60), dtype=np.uint8),
    }
    for name, gray in cases.items():
        np.testing.assert_array_equal(equalize_hist(gray), cv2.equalizeHist(gray), err_msg=name)
    # The documented outcomes, independent of OpenCV.
    assert (equalize_hist(cases["constant"]) == 77).all()
    assert set(np.unique(equalize_hist(two_level))) == {0, 255}
    assert np.array_equal(equalize_hist(full_range), full_range)  # already uniform: the identity


def test_equalize_hist_refuses_non_uint8():
    with pytest.raises(ValueError, match="uint8"):
        equalize_hist(np.zeros((4, 4), np.float32))


@pytest.mark.parametrize("size", [(224, 224), (128, 128), (1024, 832), (300, 250), (96, 96)])
def test_area_shrink_is_within_one_level_of_inter_area(size):
    for gray in _nih_images():
        ours = resize_gray(gray, size).astype(int)
        theirs = cv2.resize(gray, size[::-1], interpolation=cv2.INTER_AREA).astype(int)
        difference = np.abs(ours - theirs)
        assert difference.max() <= 1, f"{size}: max difference {difference.max()} levels"
        assert difference.mean() < 0.05, f"{size}: mean difference {difference.mean():.4f} levels"
        as_float = resize_gray(gray.astype(np.float32) / 255.0, size)
        reference = cv2.resize(gray.astype(np.float32) / 255.0, size[::-1], interpolation=cv2.INTER_AREA)
        assert as_float.dtype == np.float32 and np.abs(as_float - reference).max() < 1e-5


@pytest.mark.parametrize("size", [(224, 224), (512, 400)])
def test_bilinear_enlargement_is_within_one_level_of_inter_linear(size):
    for gray in _cxr_images(30):
        difference = np.abs(
            resize_gray(gray, size).astype(int)
            - cv2.resize(gray, size[::-1], interpolation=cv2.INTER_LINEAR).astype(int)
        )
        assert difference.max() <= 1 and difference.mean() < 0.2
        as_float = resize_gray(gray.astype(np.float32), size)
        reference = cv2.resize(gray.astype(np.float32), size[::-1], interpolation=cv2.INTER_LINEAR)
        assert np.abs(as_float - reference).max() < 1e-3


def test_integer_factor_shrink_is_the_block_mean():
    rng = np.random.default_rng(5)
    image = rng.random((60, 90))
    expected = image.reshape(20, 3, 30, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(resize_gray(image, (20, 30)), expected, rtol=1e-6)


def test_fractional_shrink_weights_partly_covered_pixels_by_their_overlap():
    row = np.array([[0.0, 0.0, 3.0, 3.0, 3.0]])  # 5 -> 2: spans [0, 2.5) and [2.5, 5)
    np.testing.assert_allclose(resize_gray(row, (1, 2)), [[0.6, 3.0]], rtol=1e-6)


def test_mixed_resize_averages_one_axis_and_interpolates_the_other():
    image = np.array([[0.0, 2.0, 4.0, 6.0], [10.0, 12.0, 14.0, 16.0]], np.float32)
    out = resize_gray(image, (4, 2))  # rows 2 -> 4 (bilinear), columns 4 -> 2 (area)
    np.testing.assert_allclose(out[:, 0], [1.0, 3.5, 8.5, 11.0])
    np.testing.assert_allclose(out[:, 1], [5.0, 7.5, 12.5, 15.0])


def test_resize_keeps_dtype_constant_images_and_same_size_input():
    constant = np.full((33, 47), 200, np.uint8)
    assert np.array_equal(resize_gray(constant, (10, 11)), np.full((10, 11), 200, np.uint8))
    assert np.array_equal(resize_gray(constant, (70, 90)), np.full((70, 90), 200, np.uint8))
    assert resize_gray(constant, (33, 47)) is constant
    with pytest.raises(ValueError):
        resize_gray(np.zeros((4, 4, 3), np.uint8), (2, 2))
    with pytest.raises(ValueError):
        resize_gray(constant, (0, 5))


def test_display_resize_enlarges_bicubically_and_shrinks_by_area():
    gray = _nih_images()[0]
    assert np.array_equal(resize_for_display(gray, (224, 224)), resize_gray(gray, (224, 224)))
    small = resize_gray(gray, (64, 64))
    big = resize_for_display(small, (512, 512))
    assert big.dtype == np.uint8 and big.shape == (512, 512)
    reference = cv2.resize(small, (512, 512), interpolation=cv2.INTER_CUBIC).astype(int)
    assert np.abs(big.astype(int) - reference).mean() < 1.0  # Pillow's a=-0.5 vs OpenCV's a=-0.75 kernel


def test_upsample_smooth_aligns_cell_centres_like_opencv():
    rng = np.random.default_rng(7)
    grid = rng.random((7, 7)).astype(np.float32)
    ours = upsample_smooth(grid, (231, 231))  # 33 px per cell: each cell centre is a pixel centre
    theirs = cv2.resize(grid, (231, 231), interpolation=cv2.INTER_CUBIC)
    assert ours.dtype == np.float32 and ours.shape == (231, 231)
    # Pixel-centre alignment: the pixel at each cell's centre carries the cell's own value.
    centres = 16 + 33 * np.arange(7)
    np.testing.assert_allclose(ours[np.ix_(centres, centres)], grid, atol=1e-5)
    np.testing.assert_allclose(theirs[np.ix_(centres, centres)], grid, atol=1e-5)
    assert np.abs(ours - theirs).max() < 0.1  # different cubic kernels, same geometry


def test_preprocess_matches_the_opencv_pipeline_within_one_level():
    """The network input equals the former cv2 path (equalizeHist + INTER_AREA) up to 1/255 (resize rounding)."""
    spec = PreprocessSpec(input_size=224)
    for gray in _nih_images()[:4]:
        ours = preprocess(gray, spec)[0, 0]
        resized = cv2.resize(cv2.equalizeHist(gray), (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
        reference = (resized - resized.min()) / (resized.max() - resized.min())
        assert np.abs(ours - reference).max() <= 1.0 / 255 + 1e-6


def test_to_uint8_in_row_passes_is_the_whole_image_computation():
    """to_uint8 runs a few rows at a time (issue 19, item 6): the same bytes as one full-size float pass."""

    def at_once(pixels):
        scaled = np.multiply(pixels, 255.0, dtype=np.result_type(pixels.dtype, np.float32))
        return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)

    film = nih_image().astype(np.float32) / np.float32(255.0)
    rng = np.random.default_rng(3)
    cases = {
        "8-bit film": film,
        "detector-sized film with noise": np.repeat(film, 3, axis=0)[:2500, :900]
        + rng.normal(0, 0.01, (2500, 900)).astype(np.float32),
        "float64 outside [0, 1]": rng.normal(0.5, 0.6, (300, 7)),
        "one row": film[:1],
        "half levels": (np.arange(512, dtype=np.float32) / 510.0).reshape(2, 256),
        "integers": np.arange(12, dtype=np.uint16).reshape(3, 4),
        "3-D": rng.random((5, 6, 3)).astype(np.float32),
        "scalar": np.float32(0.5),
    }
    for name, pixels in cases.items():
        np.testing.assert_array_equal(to_uint8(pixels), at_once(pixels), err_msg=name)

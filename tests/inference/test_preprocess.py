"""The one preprocessing path: sizes, equalisation, degenerate images."""

import cv2
import numpy as np
import pytest

from cardioview.inference.preprocess import preprocess, target_size
from cardioview.model.preprocess_spec import PreprocessSpec
from tests.conftest import CXR128, NIH1024, require_shared_data


def test_output_layout_and_range():
    rng = np.random.default_rng(0)
    batch = preprocess(rng.random((300, 200), dtype=np.float32), PreprocessSpec(input_size=224))
    assert batch.shape == (1, 3, 224, 224) and batch.dtype == np.float32
    assert batch.min() == 0.0 and batch.max() == 1.0
    assert np.array_equal(batch[0, 0], batch[0, 2])


def test_constant_image_gives_zeros_not_nan():
    batch = preprocess(np.full((256, 256), 0.5, np.float32), PreprocessSpec())
    assert np.isfinite(batch).all() and batch.max() == 0.0


def test_full_resolution_sizes_keep_aspect_and_cap_at_1024():
    spec = PreprocessSpec(input_size=224)
    assert target_size((1024, 1024), spec, True) == (1024, 1024)
    assert target_size((3000, 2400), spec, True) == (1024, 832)
    assert target_size((100, 90), spec, True) == (96, 96)
    assert target_size((3000, 2400), spec, False) == (224, 224)


def test_equalisation_matches_training_data_statistics():
    """An original NIH PNG, equalised, looks like the cxr128 training images (mean ~128)."""
    require_shared_data(NIH1024)
    require_shared_data(CXR128)
    original = cv2.imread(str(NIH1024 / "images" / "00000001_000.png"), cv2.IMREAD_GRAYSCALE)
    training = cv2.imread(str(CXR128 / "images" / "cm_0001.png"), cv2.IMREAD_GRAYSCALE)
    spec = PreprocessSpec(input_size=128)
    ours = preprocess(original, spec)[0, 0]
    theirs = preprocess(training, spec)[0, 0]
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.05)
    assert ours.std() == pytest.approx(theirs.std(), abs=0.05)
    unequalised = preprocess(original, PreprocessSpec(input_size=128, equalize=False))[0, 0]
    assert abs(unequalised.mean() - theirs.mean()) > abs(ours.mean() - theirs.mean())


def test_float_and_uint8_inputs_agree():
    rng = np.random.default_rng(1)
    u8 = rng.integers(0, 256, (200, 180), dtype=np.uint8)
    spec = PreprocessSpec(input_size=64)
    np.testing.assert_array_equal(preprocess(u8, spec), preprocess(u8.astype(np.float32) / 255.0, spec))


def test_spec_round_trips_through_the_manifest():
    spec = PreprocessSpec(input_size=192, equalize=False)
    d = spec.to_dict()
    assert PreprocessSpec.from_dict(d) == spec
    assert any("equalisation" not in step for step in d["steps"])


def test_a_manifest_without_a_version_keeps_version_1_steps():
    """Bundles made before preprocessing version 2 load with their own steps."""
    require_shared_data(NIH1024)
    old = PreprocessSpec.from_dict({"input_size": 128, "equalize": True, "channels": 3})
    assert old.version == 1 and "version" not in old.to_dict()
    film = cv2.imread(str(NIH1024 / "images" / "00000001_000.png"), cv2.IMREAD_GRAYSCALE)
    from cardioview.imageops import equalize_hist, resize_gray

    version_1 = resize_gray(equalize_hist(film), (128, 128)).astype(np.float32)
    np.testing.assert_allclose(preprocess(film, old)[0, 0], (version_1 - version_1.min()) / np.ptp(version_1))
    new = PreprocessSpec(input_size=128, version=2)
    assert PreprocessSpec.from_dict(new.to_dict()) == new
    assert not np.array_equal(preprocess(film, old), preprocess(film, new))

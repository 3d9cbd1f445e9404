"""Issue 9 section 3: the Predictor refuses input that would give a meaningless probability."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from cardioview.imaging import load
from cardioview.inference.predictor import InvalidInputError, Predictor


@pytest.fixture(scope="module")
def predictor(tiny_bundle):
    return Predictor(tiny_bundle, backend="onnx", device="cpu")


@pytest.fixture(scope="module")
def xray():
    return load(get_testdata_file("CT_small.dcm"))


@pytest.mark.parametrize(
    "make,reason",
    [
        (lambda p: np.zeros_like(p), "constant"),
        (lambda p: np.full_like(p, 0.5), "constant"),
        (lambda p: np.full_like(p, np.nan), "non-finite"),
        (lambda p: np.where(np.arange(p.size).reshape(p.shape) == 7, np.inf, p).astype(np.float32), "non-finite"),
        (lambda p: np.where(np.arange(p.size).reshape(p.shape) == 7, np.nan, p).astype(np.float32), "non-finite"),
    ],
)
def test_predictor_refuses(predictor, xray, make, reason):
    bad = dataclasses.replace(xray, pixels=make(xray.pixels))
    with pytest.raises(InvalidInputError, match=reason):
        predictor.predict(bad)


def test_predictor_still_analyses_a_real_image(predictor, xray):
    assert 0.0 <= predictor.predict(xray).probability <= 1.0

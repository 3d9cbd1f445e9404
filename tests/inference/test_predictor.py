"""Predictor end to end on real images: encodings agree, metadata is right."""

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from cardioview.errors import WeightsError
from cardioview.imaging import load
from cardioview.inference.predictor import Predictor
from tests.conftest import NIH1024, require_shared_data
from tests.dicom_factory import nih_image, nih_variants


@pytest.fixture(scope="module")
def predictor(tiny_bundle):
    return Predictor(tiny_bundle, backend="onnx", device="cpu")


def test_same_image_in_every_encoding_gives_the_same_prediction(predictor, tmp_path):
    require_shared_data(NIH1024)
    variants = nih_variants(nih_image("00000001_000.png"), tmp_path)
    predictions = {name: predictor.predict(load(path)) for name, path in variants.items()}
    reference = predictions["png"]
    for name, p in predictions.items():
        assert p.probability == pytest.approx(reference.probability, abs=1e-5), name
        np.testing.assert_allclose(p.attention, reference.attention, atol=1e-5, err_msg=name)


def test_prediction_fields(predictor):
    xray = load(get_testdata_file("RG1_UNCR.dcm"))
    p = predictor.predict(xray)
    assert 0.0 <= p.probability <= 1.0
    assert p.attention.shape == (2, 2) and p.attention.dtype == np.float32  # 64 px bundle
    assert p.threshold == 0.5 and p.label in ("cardiomegaly", "no cardiomegaly")
    assert p.model_id == predictor.model_id and p.backend == "onnxruntime" and p.device == "CPU"
    assert p.input_size == (64, 64) and p.elapsed_ms > 0
    assert p.intended_use == "unsigned research weights"  # the test bundle carries no trusted signature
    assert p.warnings == xray.warnings
    flipped = p.with_threshold(0.0 if not p.positive else 1.01)
    assert flipped.positive != p.positive and flipped.probability == p.probability


def test_threshold_override_and_missing_weights(tiny_bundle, tmp_path, monkeypatch):
    assert Predictor(tiny_bundle, threshold=0.3).threshold == 0.3
    monkeypatch.setenv("CARDIOVIEW_WEIGHTS", str(tmp_path / "none"))
    with pytest.raises(WeightsError):
        Predictor()


def test_shipped_weights_separate_real_classes(shipped_bundle):
    """The shipped model ranks NIH's cardiomegaly films above the others (12 real 1024 px images)."""
    import csv

    require_shared_data(NIH1024)
    predictor = Predictor(shipped_bundle)
    with open(NIH1024 / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    scores = {r["path"]: predictor.predict(load(NIH1024 / r["path"])).probability for r in rows}
    positives = [scores[r["path"]] for r in rows if r["label"] == "1"]
    negatives = [scores[r["path"]] for r in rows if r["label"] == "0"]
    assert np.mean(positives) > np.mean(negatives)

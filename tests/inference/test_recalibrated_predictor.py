"""The Predictor applies the manifest's recalibration and says when a film's view has its own note."""

import json

import numpy as np
import pytest

from cardioview.imaging import load
from cardioview.inference.calibration_map import apply_recalibration, logit_of
from cardioview.inference.predictor import Predictor
from cardioview.model.bundle import write_manifest
from tests.conftest import build_tiny_bundle
from tests.dicom_factory import nih_image, write_dicom


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """The same random network twice: as trained, and with a Platt map and an AP note in its manifest."""
    plain = build_tiny_bundle(tmp_path_factory.mktemp("plain") / "tiny")
    mapped = build_tiny_bundle(tmp_path_factory.mktemp("mapped") / "tiny")
    manifest = json.loads((mapped / "manifest.json").read_text())
    manifest["calibration"]["recalibration"] = {"method": "platt", "slope": 1.5, "bias": -0.7}
    manifest["view_notes"] = {"AP": "figures differ for AP films"}
    write_manifest(mapped, manifest)
    return plain, mapped


def test_probability_goes_through_the_map(bundles, tmp_path):
    plain, mapped = (Predictor(b, backend="onnx", device="cpu", anatomy=False) for b in bundles)
    xray = load(write_dicom(tmp_path / "pa.dcm", nih_image().astype(np.uint16) * 257, view="PA"))
    raw, calibrated = plain.predict(xray).probability, mapped.predict(xray).probability
    expected = apply_recalibration(logit_of(np.float32(raw)), {"method": "platt", "slope": 1.5, "bias": -0.7})
    assert calibrated == pytest.approx(float(expected), abs=1e-6)
    assert calibrated != pytest.approx(raw, abs=1e-3)


def test_an_ap_film_carries_the_views_note(bundles, tmp_path):
    mapped = Predictor(bundles[1], backend="onnx", device="cpu", anatomy=False)
    pixels = nih_image().astype(np.uint16) * 257
    ap = mapped.predict(load(write_dicom(tmp_path / "ap.dcm", pixels, view="AP")))
    pa = mapped.predict(load(write_dicom(tmp_path / "pa.dcm", pixels, view="PA")))
    assert any(w.startswith("AP film: figures differ") for w in ap.warnings)
    assert not any("figures differ" in w for w in pa.warnings)


def test_prediction_carries_the_prevalence_note(bundles, tmp_path):
    mapped = Predictor(bundles[1], backend="onnx", device="cpu", anatomy=False)
    xray = load(write_dicom(tmp_path / "ap.dcm", nih_image().astype(np.uint16) * 257, view="AP"))
    note = mapped.predict(xray).probability_note
    # the tiny bundle's operating point: sensitivity 0.8, specificity 0.7 -> PPV 0.12 at 5 %
    assert "5% prevalence: PPV 0.12" in note and "20% prevalence" in note and "AP film" in note
    other = Predictor(bundles[1], backend="onnx", device="cpu", anatomy=False, threshold=0.3).predict(xray)
    assert "known at the model's threshold 0.50 only" in other.probability_note

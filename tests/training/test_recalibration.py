"""Calibration maps after the temperature: fitted on one sample, checked on another of the same source."""

import numpy as np
import pytest

from cardioview.errors import WeightsError
from cardioview.inference.calibration_map import apply_recalibration, logit_of, recalibrate_probability
from cardioview.model.manifest_schema import validate_manifest
from cardioview.training.classifier.recalibration import fit_beta, fit_isotonic, fit_platt
from cardioview.training.classifier.refit import choose_calibration
from cardioview.training.evaluation.metrics import expected_calibration_error


def _miscalibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits z whose true probability is sigmoid(1.3 z - 0.9): over-confident and shifted, like the shipped model."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.8, 2.0, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.3 * z - 0.9)))).astype(int)
    return z, y


@pytest.mark.parametrize("fit", [fit_platt, fit_beta, fit_isotonic])
def test_each_map_lowers_held_out_ece(fit):
    z_fit, y_fit = _miscalibrated(3000, 0)
    z_new, y_new = _miscalibrated(3000, 1)
    before = expected_calibration_error(y_new, 1 / (1 + np.exp(-z_new)))
    after = expected_calibration_error(y_new, apply_recalibration(z_new, fit(z_fit, y_fit)))
    assert before > 0.08 and after < 0.03


def test_platt_recovers_the_generating_map():
    z, y = _miscalibrated(20000, 2)
    mapping = fit_platt(z, y)
    assert mapping["slope"] == pytest.approx(1.3, abs=0.08) and mapping["bias"] == pytest.approx(-0.9, abs=0.08)


def test_isotonic_is_monotone_and_bounded():
    z, y = _miscalibrated(2000, 3)
    mapping = fit_isotonic(z, y)
    p = apply_recalibration(np.linspace(-10, 10, 500), mapping)
    assert np.all(np.diff(p) >= 0) and p.min() >= 0 and p.max() <= 1


def test_probability_round_trip_through_the_backend_output():
    z = np.array([-6.0, -1.0, 0.0, 0.5, 4.0])
    p = (1 / (1 + np.exp(-z))).astype(np.float32)  # what a backend returns
    np.testing.assert_allclose(logit_of(p), z, atol=1e-5)
    mapping = {"method": "platt", "slope": 1.2, "bias": -0.8}
    np.testing.assert_allclose(recalibrate_probability(p, mapping), apply_recalibration(z, mapping), atol=1e-6)
    assert recalibrate_probability(p, None) is not None and np.array_equal(recalibrate_probability(p, None), p)


def test_choice_prefers_the_simpler_map_when_level():
    z_val, y_val = _miscalibrated(1500, 4)
    z_test, y_test = _miscalibrated(1500, 5)
    chosen, compared = choose_calibration(z_val, y_val, z_test, y_test)
    assert set(compared) == {"platt", "beta", "isotonic"}
    assert chosen == "platt"  # the data are Platt-shaped: beta cannot beat it beyond the tolerance


@pytest.mark.parametrize(
    "bad",
    [
        {"method": "spline"},
        {"method": "platt", "slope": "1"},
        {"method": "isotonic", "knots_z": [0, 1], "knots_p": [0.9, 0.1]},
        {"method": "isotonic", "knots_z": [0, 1], "knots_p": [0.1]},
    ],
)
def test_manifest_refuses_a_broken_recalibration(tiny_bundle, bad):
    import json

    manifest = json.loads((tiny_bundle / "manifest.json").read_text())
    manifest["calibration"]["recalibration"] = bad
    with pytest.raises(WeightsError, match="recalibration"):
        validate_manifest(manifest)

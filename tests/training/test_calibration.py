"""Temperature scaling recovers a known over-confidence and lowers ECE."""

import numpy as np
import pytest

from cardioview.training.classifier.calibration import calibration_report, fit_temperature, sigmoid


def test_recovers_known_temperature():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, 20000)
    y = (rng.random(20000) < sigmoid(true_logits)).astype(int)
    overconfident = true_logits * 3.0  # a model 3x too sure of itself
    assert fit_temperature(overconfident, y) == pytest.approx(3.0, rel=0.05)


def test_report_shows_ece_drop():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 1.5, 5000)
    y = (rng.random(5000) < sigmoid(true_logits)).astype(int)
    r = calibration_report(true_logits * 4, y, fit_temperature(true_logits * 4, y))
    assert r["ece_after"] < r["ece_before"] / 2
    assert r["nll_after"] < r["nll_before"]

"""PPV/NPV at a reader's prevalence and the probability tooltip (headless)."""

import pytest

from cardioview.inference.prevalence import predictive_values, probability_at_prevalence, probability_tooltip


def test_predictive_values_follow_bayes():
    ppv, npv = predictive_values(0.8, 0.9, 0.05)
    assert ppv == pytest.approx(0.04 / (0.04 + 0.095))
    assert npv == pytest.approx(0.855 / (0.855 + 0.01))
    # at the training prevalence the flags are right more often than at 5 %
    assert predictive_values(0.8, 0.9, 0.5)[0] > ppv


def test_probability_shift_keeps_the_training_prevalence_fixed():
    assert probability_at_prevalence(0.7, 0.5) == pytest.approx(0.7)
    assert probability_at_prevalence(0.5, 0.05) == pytest.approx(0.05)
    assert probability_at_prevalence(0.9, 0.2) < 0.9


def test_tooltip_names_both_prevalences_and_the_ap_note():
    text = probability_tooltip(
        0.81, 0.49, {"sensitivity": 0.84, "specificity": 0.80}, view="AP", view_note="figures differ for AP films"
    )
    assert "50%" in text and "5% prevalence" in text and "20% prevalence" in text
    assert "PPV 0.18" in text and "AP film: figures differ" in text
    assert "AP film" not in probability_tooltip(0.81, 0.49, {"sensitivity": 0.84, "specificity": 0.80}, view="PA")

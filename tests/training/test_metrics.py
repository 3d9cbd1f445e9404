"""Metrics against scikit-learn on real-shaped score distributions (ties included)."""

import numpy as np
import pytest
from sklearn import metrics as skm

from cardioview.training.evaluation import metrics as m


@pytest.fixture(params=[0, 1, 2])
def scored(request):
    rng = np.random.default_rng(request.param)
    y = rng.integers(0, 2, 400)
    s = np.clip(0.3 * y + rng.normal(0.4, 0.25, 400), 0, 1)
    if request.param == 2:
        s = np.round(s, 1)  # heavy ties
    return y, s


def test_auroc_matches_sklearn(scored):
    y, s = scored
    assert m.auroc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)


def test_roc_curve_matches_sklearn(scored):
    y, s = scored
    fpr, tpr, _ = m.roc_curve(y, s)
    sk_fpr, sk_tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)


def test_classification_report_matches_sklearn(scored):
    y, s = scored
    r = m.classification_report(y, s, 0.55)
    pred = (s >= 0.55).astype(int)
    p, rc, f, sup = skm.precision_recall_fscore_support(y, pred, zero_division=0)
    for k, name in enumerate(m.CLASS_NAMES):
        c = r["per_class"][name]
        assert (c["precision"], c["recall"], c["f1"], c["support"]) == pytest.approx((p[k], rc[k], f[k], sup[k]))
    wp, wr, wf, _ = skm.precision_recall_fscore_support(y, pred, average="weighted", zero_division=0)
    assert (r["weighted_avg"]["precision"], r["weighted_avg"]["recall"], r["weighted_avg"]["f1"]) == pytest.approx(
        (wp, wr, wf)
    )
    assert r["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert r["confusion_matrix"]["rows_true_cols_predicted"] == skm.confusion_matrix(y, pred).tolist()
    assert r["sensitivity"] == pytest.approx(skm.recall_score(y, pred))


def test_ece_by_hand():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.1, 0.9, 0.9, 0.2])
    # bins: 0.1 (2 negatives), 0.2 (1 positive), 0.9 (2 positives)
    expected = 2 / 5 * 0.1 + 1 / 5 * 0.8 + 2 / 5 * 0.1
    assert m.expected_calibration_error(y, p) == pytest.approx(expected)


def test_bootstrap_ci_brackets_auroc(scored):
    y, s = scored
    lo, hi = m.bootstrap_auroc_ci(y, s, n=300)
    assert lo < m.auroc(y, s) < hi
    assert hi - lo < 0.2


def test_threshold_rules_maximise_their_objective(scored):
    y, s = scored
    t = m.choose_threshold(y, s, "youden")
    fpr, tpr, thr = skm.roc_curve(y, s)
    best = np.max(tpr - fpr)
    r = m.classification_report(y, s, t)
    assert r["sensitivity"] + r["specificity"] - 1 == pytest.approx(best)
    t_f1 = m.choose_threshold(y, s, "max-f1")
    f1s = [skm.f1_score(y, (s >= c).astype(int)) for c in np.unique(s)]
    assert skm.f1_score(y, (s >= t_f1).astype(int)) == pytest.approx(max(f1s))


def test_single_class_auroc_is_nan():
    assert np.isnan(m.auroc([1, 1, 1], [0.2, 0.5, 0.9]))


def test_paired_bootstrap_of_identical_models_is_exactly_null(scored):
    y, s = scored
    r = m.paired_bootstrap_auroc(y, s, s, n=200)
    assert r["delta"] == 0.0 and r["ci95"] == [0.0, 0.0] and r["p_value"] == 1.0


def test_paired_bootstrap_separates_a_clearly_better_model():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    good = y + rng.normal(0, 0.6, 300)
    weak = y + rng.normal(0, 2.0, 300)
    r = m.paired_bootstrap_auroc(y, good, weak, n=500)
    assert r["delta"] == pytest.approx(skm.roc_auc_score(y, good) - skm.roc_auc_score(y, weak), abs=1e-12)
    assert 0 < r["ci95"][0] < r["delta"] < r["ci95"][1] and r["p_value"] < 0.01
    # pairing matters: two noisy copies of one score differ far less than independent CIs suggest
    near = good + rng.normal(0, 0.05, 300)
    paired = m.paired_bootstrap_auroc(y, good, near, n=500)
    lo_a, hi_a = m.bootstrap_auroc_ci(y, good, n=500)
    assert paired["ci95"][1] - paired["ci95"][0] < (hi_a - lo_a) / 4

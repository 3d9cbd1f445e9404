"""Classification figures per (estimated) view, and whether a per-view threshold is supported (issue 19, item 4)."""

from __future__ import annotations

import numpy as np

from cardioview.training.evaluation import metrics as m

#: a per-view threshold is adopted only when the estimator is at least this accurate on every view and on
#: cardiomegaly-free films, and validation's cross-validated Youden J gains with a CI above zero
RELIABLE_ACCURACY = 0.90


def view_figures(labels, probabilities, views, threshold: float, bootstrap: int = 2000) -> dict:
    """AUROC (95% bootstrap CI), sensitivity and specificity at ``threshold`` for each view, with counts.

    Args:
        views: one "PA"/"AP" per film (estimated or known).

    Returns:
        {view: {films, positives, negatives, auroc, auroc_ci95, sensitivity, specificity, true_positives,
        true_negatives}}, views in sorted order.
    """
    y, p, v = np.asarray(labels).astype(int), np.asarray(probabilities, dtype=float), np.asarray(views)
    out = {}
    for view in sorted(set(v.tolist())):
        keep = v == view
        (tn, _fp), (_fn, tp) = m.confusion(y[keep], p[keep], threshold)
        pos, neg = int(y[keep].sum()), int((1 - y[keep]).sum())
        both = pos and neg
        out[view] = {
            "films": int(keep.sum()),
            "positives": pos,
            "negatives": neg,
            "auroc": m.auroc(y[keep], p[keep]) if both else None,
            "auroc_ci95": list(m.bootstrap_auroc_ci(y[keep], p[keep], bootstrap)) if both and bootstrap else None,
            "sensitivity": float(tp / pos) if pos else None,
            "specificity": float(tn / neg) if neg else None,
            "true_positives": int(tp),
            "true_negatives": int(tn),
        }
    return out


def _youden(y: np.ndarray, flagged: np.ndarray) -> float:
    return float(flagged[y == 1].mean() - flagged[y == 0].mean())


def cross_validated_per_view_flags(labels, probabilities, views, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Decisions on each validation film by per-view Youden thresholds fitted on the other folds."""
    y, p, v = np.asarray(labels).astype(int), np.asarray(probabilities, dtype=float), np.asarray(views)
    order = np.random.default_rng(seed).permutation(len(y))
    flagged = np.zeros(len(y), dtype=bool)
    for held in np.array_split(order, folds):
        rest = np.setdiff1d(order, held)
        for view in set(v[held].tolist()):
            fit = rest[v[rest] == view]
            t = m.choose_threshold(y[fit], p[fit], "youden") if len(set(y[fit].tolist())) == 2 else 0.5
            on = held[v[held] == view]
            flagged[on] = p[on] >= t
    return flagged


def per_view_threshold_decision(
    val: tuple, test: tuple, threshold: float, estimator_accuracy: dict, resamples: int = 2000, seed: int = 0
) -> dict:
    """Is a per-view threshold supported? Decided on validation alone; test is reported, never used.

    Args:
        val, test: (labels, probabilities, estimated views) of each split.
        threshold: the shipped threshold.
        estimator_accuracy: :func:`view_estimator.cross_validate`'s result.

    Returns:
        the per-view Youden thresholds on validation, the cross-validated Youden J gain on validation with
        its bootstrap CI, the test figures with those thresholds, ``adopted`` and the ``reason``.
    """
    y, p, v = (np.asarray(a) for a in val)
    y = y.astype(int)
    per_view = {view: m.choose_threshold(y[v == view], p[v == view], "youden") for view in sorted(set(v.tolist()))}
    cv_flags, shipped_flags = cross_validated_per_view_flags(y, p, v, seed=seed), p >= threshold
    rng, gains = np.random.default_rng(seed), []
    for _ in range(resamples):
        idx = rng.integers(0, len(y), len(y))
        if 0 < y[idx].sum() < len(idx):
            gains.append(_youden(y[idx], cv_flags[idx]) - _youden(y[idx], shipped_flags[idx]))
    gain = _youden(y, cv_flags) - _youden(y, shipped_flags)
    ci = [float(q) for q in np.quantile(gains, [0.025, 0.975])]
    ty, tp, tv = (np.asarray(a) for a in test)
    ty = ty.astype(int)
    test_flags = np.array([tp[i] >= per_view.get(tv[i], threshold) for i in range(len(ty))], dtype=bool)
    accuracies = [*estimator_accuracy["accuracy_per_view"].values(), estimator_accuracy["accuracy_cardiomegaly_free"]]
    reliable = min(accuracies) >= RELIABLE_ACCURACY
    reasons = []
    if ci[0] <= 0:
        reasons.append(
            f"on validation the per-view thresholds' cross-validated Youden J gain is {gain:+.3f} "
            f"(95% CI {ci[0]:+.3f} to {ci[1]:+.3f}), not above zero"
        )
    if not reliable:
        reasons.append(
            f"the view estimate is not reliable enough (lowest cross-validated accuracy {min(accuracies):.2f} "
            f"< {RELIABLE_ACCURACY:.2f}, per view and on cardiomegaly-free films), and the viewer reads the view "
            "from DICOM ViewPosition, not from this estimate"
        )
    return {
        "youden_thresholds_validation": per_view,
        "validation_cv_youden_gain": gain,
        "validation_cv_youden_gain_ci95": ci,
        "test_youden_shipped": _youden(ty, tp >= threshold),
        "test_youden_per_view": _youden(ty, test_flags),
        "adopted": not reasons,
        "reason": "; ".join(reasons) if reasons else "validation gain above zero and a reliable view estimate",
    }

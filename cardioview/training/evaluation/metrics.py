"""Classification metrics in numpy (cross-checked against scikit-learn in the tests).

The per-class report follows the paper's Table 4/5: precision, recall, F1 and
support for each class, and their support-weighted average.
"""

from __future__ import annotations

import numpy as np

CLASS_NAMES = ("no cardiomegaly", "cardiomegaly")


def _check(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(int).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"{y.size} labels but {s.size} scores")
    return y, s


def auroc(y_true, scores) -> float:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties); nan if one class is absent."""
    y, s = _check(y_true, scores)
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    # mid-ranks for ties: each distinct value gets the mean of the ranks it spans
    values, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def bootstrap_auroc_ci(y_true, scores, n: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the AUROC (resampling images with replacement)."""
    y, s = _check(y_true, scores)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        a = auroc(y[idx], s[idx])
        if not np.isnan(a):
            values.append(a)
    lo, hi = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def roc_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate, thresholds), thresholds descending, starting at (0, 0)."""
    y, s = _check(y_true, scores)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct score
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    tpr = np.r_[0.0, tps / max(y.sum(), 1)]
    fpr = np.r_[0.0, fps / max((1 - y).sum(), 1)]
    return fpr, tpr, np.r_[np.inf, s[last]]


def confusion(y_true, scores, threshold: float) -> np.ndarray:
    """2x2 [[TN, FP], [FN, TP]]; positive when score >= threshold."""
    y, s = _check(y_true, scores)
    p = (s >= threshold).astype(int)
    return np.array(
        [
            [np.sum((y == 0) & (p == 0)), np.sum((y == 0) & (p == 1))],
            [np.sum((y == 1) & (p == 0)), np.sum((y == 1) & (p == 1))],
        ]
    )


def _safe(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def classification_report(y_true, scores, threshold: float) -> dict:
    """Per-class precision/recall/F1/support, support-weighted average, accuracy, sensitivity, specificity."""
    cm = confusion(y_true, scores, threshold)
    (tn, fp), (fn, tp) = cm
    per_class = {}
    for name, (t, f_pos, f_neg) in zip(CLASS_NAMES, ((tn, fn, fp), (tp, fp, fn))):
        precision, recall = _safe(t, t + f_pos), _safe(t, t + f_neg)
        per_class[name] = {
            "precision": precision,
            "recall": recall,
            "f1": _safe(2 * precision * recall, precision + recall),
            "support": int(t + f_neg),
        }
    total = sum(c["support"] for c in per_class.values())
    weighted = {
        k: _safe(sum(c[k] * c["support"] for c in per_class.values()), total) for k in ("precision", "recall", "f1")
    }
    weighted["support"] = int(total)
    return {
        "threshold": float(threshold),
        "accuracy": _safe(tn + tp, total),
        "sensitivity": _safe(tp, tp + fn),
        "specificity": _safe(tn, tn + fp),
        "per_class": per_class,
        "weighted_avg": weighted,
        "confusion_matrix": {"labels": list(CLASS_NAMES), "rows_true_cols_predicted": cm.tolist()},
    }


def expected_calibration_error(y_true, probabilities, bins: int = 15) -> float:
    """ECE with equal-width bins: sum over bins of |accuracy - confidence| weighted by bin share.

    Uses P(cardiomegaly) against the positive rate per bin (reliability of the score itself).
    """
    y, p = _check(y_true, probabilities)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(y[m].mean() - p[m].mean())
    return float(ece)


def reliability_bins(y_true, probabilities, bins: int = 10) -> list[dict]:
    """Per bin: mean predicted probability, observed positive rate, count (for calibration.png)."""
    y, p = _check(y_true, probabilities)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    return [
        {
            "lo": float(edges[b]),
            "hi": float(edges[b + 1]),
            "count": int((which == b).sum()),
            "mean_probability": float(p[which == b].mean()) if (which == b).any() else None,
            "positive_rate": float(y[which == b].mean()) if (which == b).any() else None,
        }
        for b in range(bins)
    ]


THRESHOLD_RULES = ("youden", "max-f1")


def choose_threshold(y_true, probabilities, rule: str = "youden") -> float:
    """Decision threshold from validation scores.

    youden: maximise sensitivity + specificity - 1; max-f1: maximise cardiomegaly F1.
    Ties go to the threshold closest to 0.5.
    """
    y, p = _check(y_true, probabilities)
    _, _, thresholds = roc_curve(y, p)
    t = thresholds[1:]  # each distinct score, descending
    pred = p[None, :] >= t[:, None]
    tp = (pred & (y == 1)).sum(1).astype(float)
    fp = (pred & (y == 0)).sum(1).astype(float)
    n_pos, n_neg = max(int(y.sum()), 1), max(int((1 - y).sum()), 1)
    if rule == "youden":
        value = tp / n_pos - fp / n_neg
    elif rule == "max-f1":
        value = 2 * tp / np.maximum(2 * tp + fp + (n_pos - tp), 1e-12)
    else:
        raise ValueError(f"unknown threshold rule {rule!r}; choose from {', '.join(THRESHOLD_RULES)}")
    best = np.flatnonzero(value >= value.max() - 1e-12)
    return float(t[best[np.argmin(np.abs(t[best] - 0.5))]])


def paired_bootstrap_auroc(y_true, scores_a, scores_b, n: int = 2000, level: float = 0.95, seed: int = 0) -> dict:
    """AUROC(a) - AUROC(b) on the same images, with a paired percentile bootstrap.

    Each resample draws images with replacement and scores both models on the
    same draw, so the CI reflects the difference, not two independent spreads.

    Returns:
        {"delta", "ci95", "p_value", "resamples"}; p_value is two-sided: twice the
        smaller share of resampled differences on either side of zero (capped at 1).
    """
    y, a = _check(y_true, scores_a)
    _, b = _check(y_true, scores_b)
    if a.shape != b.shape:
        raise ValueError(f"{a.size} scores for model a but {b.size} for model b")
    rng = np.random.default_rng(seed)
    deltas = []
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        d = auroc(y[idx], a[idx]) - auroc(y[idx], b[idx])
        if not np.isnan(d):
            deltas.append(d)
    deltas = np.asarray(deltas)
    lo, hi = np.quantile(deltas, [(1 - level) / 2, 1 - (1 - level) / 2])
    p = min(1.0, 2 * min(np.mean(deltas <= 0), np.mean(deltas >= 0)))
    return {
        "delta": auroc(y, a) - auroc(y, b),
        "ci95": [float(lo), float(hi)],
        "p_value": float(p),
        "resamples": int(len(deltas)),
    }

"""Agreement figures for the segmenter: Dice, CTR MAE/bias/limits of agreement, bootstrap CIs, box IoU."""

from __future__ import annotations

import numpy as np


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    p, t = np.asarray(pred, bool), np.asarray(truth, bool)
    denom = p.sum() + t.sum()
    return 1.0 if denom == 0 else float(2 * (p & t).sum() / denom)


def bootstrap_ci(values, stat=np.mean, n: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of ``stat`` over images."""
    v = np.asarray(values, float)
    if len(v) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    stats = np.array([stat(v[rng.integers(0, len(v), len(v))]) for _ in range(n)])
    a = (1 - level) / 2
    return float(np.quantile(stats, a)), float(np.quantile(stats, 1 - a))


def summary(values) -> dict:
    v = np.asarray(values, float)
    lo, hi = bootstrap_ci(v)
    return {
        "mean": float(v.mean()),
        "ci95": [lo, hi],
        "median": float(np.median(v)),
        "min": float(v.min()),
        "n": int(len(v)),
    }


def agreement(pred, ref) -> dict:
    """Bland-Altman figures of pred - ref: MAE (with CI), bias (with CI), 95% limits of agreement."""
    p, r = np.asarray(pred, float), np.asarray(ref, float)
    d = p - r
    sd = float(d.std(ddof=1)) if len(d) > 1 else float("nan")
    return {
        "n": int(len(d)),
        "mae": float(np.abs(d).mean()),
        "mae_ci95": list(bootstrap_ci(np.abs(d))),
        "bias": float(d.mean()),
        "bias_ci95": list(bootstrap_ci(d)),
        "sd": sd,
        "loa95": [float(d.mean() - 1.96 * sd), float(d.mean() + 1.96 * sd)],
    }


def bbox(mask: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x, y, w, h) of a bool mask's bounding box in pixel edges; None if empty."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return float(xs.min()), float(ys.min()), float(xs.max() + 1 - xs.min()), float(ys.max() + 1 - ys.min())


def iou(a, b) -> float:
    if a is None or b is None:
        return 0.0
    ax1, ay1, ax2, ay2 = a[0], a[1], a[0] + a[2], a[1] + a[3]
    bx1, by1, bx2, by2 = b[0], b[1], b[0] + b[2], b[1] + b[3]
    iw, ih = max(0.0, min(ax2, bx2) - max(ax1, bx1)), max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0

"""Calibration maps fitted on validation beyond one temperature: Platt with a bias, beta, isotonic.

Temperature scaling only stretches logits about 0; the shipped model's validation probabilities
were also shifted (ECE 0.10 after T), so a bias (Platt), a two-slope map (beta calibration, Kull et
al. 2017) and a monotone step map (isotonic, pool-adjacent-violators) are compared on validation.
Each works on the logit the bundle already produces (``z``: the network's logit over its temperature)
and is applied by :func:`cardioview.inference.calibration_map.apply_recalibration`.
"""

from __future__ import annotations

import numpy as np

from cardioview.inference.calibration_map import apply_recalibration, beta_features


def _logistic_fit(features: np.ndarray, labels: np.ndarray, ridge: float = 1e-6, steps: int = 100) -> np.ndarray:
    """Weights (features..., bias) of a logistic regression by Newton's method (min NLL)."""
    x = np.column_stack([features, np.ones(len(features))])
    y = np.asarray(labels, dtype=np.float64)
    w = np.zeros(x.shape[1])
    w[0] = 1.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + ridge * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


def fit_platt(z: np.ndarray, labels: np.ndarray) -> dict:
    """P = sigmoid(slope * z + bias)."""
    slope, bias = _logistic_fit(np.asarray(z, dtype=np.float64)[:, None], labels)
    return {"method": "platt", "slope": float(slope), "bias": float(bias)}


def fit_beta(z: np.ndarray, labels: np.ndarray) -> dict:
    """P = sigmoid(a * ln p - b * ln(1 - p) + c), p = sigmoid(z) (beta calibration, 3 parameters)."""
    a, b, c = _logistic_fit(beta_features(z), labels)
    return {"method": "beta", "a": float(a), "b": float(b), "c": float(c)}


def fit_isotonic(z: np.ndarray, labels: np.ndarray) -> dict:
    """Monotone step map by pool-adjacent-violators; knots (z, P) interpolated linearly between."""
    order = np.argsort(z, kind="stable")
    zs, ys = np.asarray(z, dtype=np.float64)[order], np.asarray(labels, dtype=np.float64)[order]
    blocks: list[list[float]] = []  # [sum of labels, count, first z, last z]
    for zi, yi in zip(zs, ys):
        blocks.append([yi, 1.0, zi, zi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            s, n, _, last = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
            blocks[-1][3] = last
    knots_z, knots_p = [], []
    for s, n, first, last in blocks:
        knots_z += [first, last] if last > first else [first]
        knots_p += [s / n] * (2 if last > first else 1)
    return {"method": "isotonic", "knots_z": [float(v) for v in knots_z], "knots_p": [float(v) for v in knots_p]}


FITTERS = {"platt": fit_platt, "beta": fit_beta, "isotonic": fit_isotonic}


def compare_methods(
    z_val: np.ndarray, y_val: np.ndarray, z_test: np.ndarray, y_test: np.ndarray, ece
) -> dict[str, dict]:
    """Each method fitted on validation, with validation and test ECE (``ece(labels, probabilities)``)."""
    results = {}
    for name, fit in FITTERS.items():
        mapping = fit(z_val, y_val)
        results[name] = {
            "map": mapping,
            "ece_validation": ece(y_val, apply_recalibration(z_val, mapping)),
            "ece_test": ece(y_test, apply_recalibration(z_test, mapping)),
        }
    return results

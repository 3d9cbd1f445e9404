"""The manifest's optional recalibration: a map from the bundle's logit to the probability shown.

A bundle's network ends in ``sigmoid(logit / T)`` (the temperature is baked into the ONNX export).
``calibration.recalibration`` in the manifest, fitted on validation (training/classifier/recalibration.py),
maps ``z = logit / T`` on to the probability reported:

- ``{"method": "platt", "slope": a, "bias": b}``: sigmoid(a z + b)
- ``{"method": "beta", "a": a, "b": b, "c": c}``: sigmoid(a ln p - b ln(1 - p) + c), p = sigmoid(z)
- ``{"method": "isotonic", "knots_z": [...], "knots_p": [...]}``: linear between knots, flat outside

Bundles without it report sigmoid(z) as before.
"""

from __future__ import annotations

import numpy as np

METHODS = ("platt", "beta", "isotonic")
#: the probability a float32 sigmoid can still tell from 0 or 1, for recovering z from P
_EPS = 1e-7


def logit_of(probability: np.ndarray) -> np.ndarray:
    """z from a backend's probability sigmoid(z) (float32 outputs: clipped away from 0 and 1)."""
    p = np.clip(np.asarray(probability, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def beta_features(z: np.ndarray) -> np.ndarray:
    """(ln p, -ln(1 - p)) for p = sigmoid(z), computed stably."""
    z = np.asarray(z, dtype=np.float64)
    return np.column_stack([-np.logaddexp(0.0, -z), np.logaddexp(0.0, z)])


def apply_recalibration(z: np.ndarray, mapping: dict | None) -> np.ndarray:
    """Probabilities for logits ``z`` (over T) under ``mapping`` (None: plain sigmoid)."""
    z = np.asarray(z, dtype=np.float64)
    if not mapping:
        return 1.0 / (1.0 + np.exp(-z))
    method = mapping["method"]
    if method == "platt":
        value = mapping["slope"] * z + mapping["bias"]
    elif method == "beta":
        value = beta_features(z) @ np.array([mapping["a"], mapping["b"]]) + mapping["c"]
    elif method == "isotonic":
        return np.interp(z, mapping["knots_z"], mapping["knots_p"])
    else:
        raise ValueError(f"unknown recalibration method {method!r} (known: {', '.join(METHODS)})")
    return 1.0 / (1.0 + np.exp(-value))


def recalibrate_probability(probability: np.ndarray, mapping: dict | None) -> np.ndarray:
    """A backend's probability sigmoid(z) -> the recalibrated one (unchanged without a mapping)."""
    if not mapping:
        return np.asarray(probability)
    return apply_recalibration(logit_of(probability), mapping)

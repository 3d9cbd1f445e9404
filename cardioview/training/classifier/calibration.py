"""Temperature scaling (Guo et al., 2017): P = sigmoid(logit / T), T fitted on validation.

One scalar, so ranking (AUROC) is unchanged; only how far probabilities sit
from 0.5 moves. Fitted by minimising the validation negative log-likelihood on
a fine log-spaced grid (deterministic, no optimiser to tune).
"""

from __future__ import annotations

import numpy as np

from cardioview.model.manifest_schema import TEMPERATURE_RANGE
from cardioview.training.evaluation.metrics import expected_calibration_error


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean binary cross-entropy of sigmoid(logits / T), computed stably."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    y = np.asarray(labels, dtype=np.float64)
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def fit_temperature(
    logits, labels, low: float = TEMPERATURE_RANGE[0], high: float = TEMPERATURE_RANGE[1], steps: int = 4000
) -> float:
    """The T in [low, high] minimising validation NLL (log-spaced grid, then a finer grid around the best).

    The default range is the one the manifest schema accepts, so a fitted T always loads.
    """
    grid = np.geomspace(low, high, steps)
    best = grid[int(np.argmin([nll(logits, labels, t) for t in grid]))]
    fine = np.geomspace(max(low, best / 1.01), min(high, best * 1.01), 201)
    return float(fine[int(np.argmin([nll(logits, labels, t) for t in fine]))])


def calibration_report(logits, labels, temperature: float) -> dict:
    """Temperature with validation ECE and NLL before (T = 1) and after scaling."""
    return {
        "method": "temperature scaling fitted on validation (min NLL)",
        "temperature": float(temperature),
        "ece_before": expected_calibration_error(labels, sigmoid(logits)),
        "ece_after": expected_calibration_error(labels, sigmoid(np.asarray(logits) / temperature)),
        "nll_before": nll(logits, labels, 1.0),
        "nll_after": nll(logits, labels, temperature),
    }

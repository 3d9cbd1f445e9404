"""The same NIH film as a full-size original and as its cxr128 thumbnail: the films and the figures.

The films are nih-boxes' films whose ``cxr128_match`` names the same film in cxr128. They are
training films of every model trained on cxr128: the figures pin that a film scores alike at any
size, not a model's accuracy. ``cardioview refit`` reports them for a bundle under its old and new
preprocessing; ``cardioview compare --ensemble --pairs`` for each ensemble candidate (every member
and the ensemble) under the calibration map and threshold fitted for it on validation.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from cardioview.inference.calibration_map import apply_recalibration
from cardioview.training.classifier.data import Sample


def matched_pairs(boxes_csv: Path, thumbnails: Path) -> tuple[list[Sample], list[Sample]]:
    """(full-size films, their cxr128 thumbnails) for the rows of ``boxes_csv`` that name a match."""
    with open(boxes_csv, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("cxr128_match")]
    films = [Sample(Path(boxes_csv).parent / "images" / r["image"], 1) for r in rows]
    return films, [Sample(Path(thumbnails) / r["cxr128_match"], 1) for r in rows]


def pair_statistics(p_thumb: np.ndarray, p_full: np.ndarray, threshold: float) -> dict:
    """How the full-size films' probabilities differ from their thumbnails' (dP = full size minus thumbnail)."""
    dp = p_full - p_thumb
    return {
        "median_abs_dp": float(np.median(np.abs(dp))),
        "mean_dp": float(dp.mean()),
        "probability_correlation": float(np.corrcoef(p_full, p_thumb)[0, 1]),
        "full_size_mean_probability": float(p_full.mean()),
        "full_size_sensitivity": float((p_full >= threshold).mean()),
    }


def pair_rows(models: list[dict], z_thumb: list[np.ndarray], z_full: list[np.ndarray]) -> list[dict]:
    """One row per candidate: :func:`pair_statistics` and the thumbnails' sensitivity, with the film count.

    Args:
        models: comparison.json's ``models`` (label, calibration map, threshold), in the order of the z lists.
        z_thumb, z_full: each candidate's z = logit / T on the thumbnails and on the full-size films.
    """
    rows = []
    for model, zt, zf in zip(models, z_thumb, z_full):
        mapping, threshold = model["calibration"]["map"], model["threshold"]
        pt, pf = apply_recalibration(zt, mapping), apply_recalibration(zf, mapping)
        rows.append(
            {
                "label": model["label"],
                "films": int(len(pt)),
                **pair_statistics(pt, pf, threshold),
                "thumbnail_sensitivity": float((pt >= threshold).mean()),
            }
        )
    return rows

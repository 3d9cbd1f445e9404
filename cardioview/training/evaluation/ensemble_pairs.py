"""The thumbnail-vs-full-size pair figures of each ensemble candidate (issue 19: "the pair figures for each candidate").

The films are nih-boxes' films whose ``cxr128_match`` is the same film as a cxr128 thumbnail; each
candidate (every member and the ensemble) scores both at preprocessing version 2, under the
calibration map and threshold that :mod:`cardioview.training.evaluation.ensemble` fitted for it on
validation. These are training films of every model trained on cxr128: the figures pin that a film
scores alike at any size, not the models' accuracy.
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


def pair_rows(models: list[dict], z_thumb: list[np.ndarray], z_full: list[np.ndarray]) -> list[dict]:
    """One row per candidate: median and mean dP (full size minus thumbnail), correlation of P, sensitivities.

    Args:
        models: comparison.json's ``models`` (label, calibration map, threshold), in the order of the z lists.
        z_thumb, z_full: each candidate's z = logit / T on the thumbnails and on the full-size films.
    """
    rows = []
    for model, zt, zf in zip(models, z_thumb, z_full):
        mapping, threshold = model["calibration"]["map"], model["threshold"]
        pt, pf = apply_recalibration(zt, mapping), apply_recalibration(zf, mapping)
        dp = pf - pt
        rows.append(
            {
                "label": model["label"],
                "films": int(len(dp)),
                "median_abs_dp": float(np.median(np.abs(dp))),
                "mean_dp": float(dp.mean()),
                "probability_correlation": float(np.corrcoef(pf, pt)[0, 1]),
                "thumbnail_sensitivity": float((pt >= threshold).mean()),
                "full_size_sensitivity": float((pf >= threshold).mean()),
            }
        )
    return rows

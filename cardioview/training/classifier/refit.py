"""Refit a bundle's preprocessing, calibration and threshold on validation, without retraining (issue 19).

``python -m cardioview.training refit --bundle weights/cxa_dense121 --data ../shared/data/cxr128
--boxes ../shared/data/nih-boxes/boxes.csv --signing-key KEY.pem``:

1. the preprocessing becomes version 2 (the NIH thumbnail rendering, inference/preprocess.py);
2. the split of the bundle's training run is rebuilt (same data, same seed) and validation and test
   are scored with the bundle's network under it;
3. Platt, beta and isotonic maps after the temperature are compared on validation (5-fold
   cross-validated log loss inside validation; test ECE is recorded, never used to choose);
4. the threshold is refitted (Youden on the recalibrated validation probabilities);
5. test figures, the films-with-boxes figures (localisation, deletion tests, sensitivity per view)
   and the thumbnail-vs-full-size pair figures are re-measured; the manifest is rewritten and signed.

The network files are not touched, so the ONNX export's baked-in temperature stays valid.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from cardioview.inference.calibration_map import apply_recalibration
from cardioview.inference.prevalence import prevalence_table
from cardioview.model.bundle import load_bundle, write_manifest
from cardioview.model.checkpoint import load_network
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.training.classifier.data import Sample
from cardioview.training.classifier.recalibration import FITTERS, compare_methods
from cardioview.training.classifier.run_split import split_data
from cardioview.training.evaluation import metrics as m
from cardioview.training.evaluation.evaluate import boxes_report, classification_metrics
from cardioview.training.evaluation.scoring import load_input, score_samples
from cardioview.training.evaluation.thumbnail_pairs import matched_pairs, pair_statistics

#: methods in order of simplicity: a tie (cross-validated log loss within this) goes to the simpler one
_PARAMETERS = {"platt": 2, "beta": 3, "isotonic": 99}
CHOICE_TOLERANCE = 0.002


def _log(message: str) -> None:
    print(f"refit: {message}", file=sys.stderr, flush=True)


def log_loss(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean negative log-likelihood, probabilities clipped to [1e-4, 1 - 1e-4] (isotonic maps reach 0 and 1)."""
    p = np.clip(probabilities, 1e-4, 1 - 1e-4)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def cross_validated(z: np.ndarray, y: np.ndarray, method: str, folds: int = 5, seed: int = 0) -> dict:
    """Log loss and ECE on each held-out fold of validation of the map fitted on the other folds (means)."""
    order = np.random.default_rng(seed).permutation(len(z))
    losses, eces = [], []
    for held in np.array_split(order, folds):
        rest = np.setdiff1d(order, held)
        p = apply_recalibration(z[held], FITTERS[method](z[rest], y[rest]))
        losses.append(log_loss(y[held], p))
        eces.append(m.expected_calibration_error(y[held], p))
    return {"log_loss_validation_cv5": float(np.mean(losses)), "ece_validation_cv5": float(np.mean(eces))}


def choose_calibration(z_val, y_val, z_test, y_test) -> tuple[str, dict]:
    """(chosen method, every method's map and figures), chosen on validation alone.

    By the 5-fold cross-validated log loss (a proper score): binned ECE on folds of ~130 films is
    too noisy to choose with, and favours step maps (isotonic) whose few distinct values fill few bins.
    """
    compared = compare_methods(z_val, y_val, z_test, y_test, m.expected_calibration_error)
    for name, entry in compared.items():
        entry.update(cross_validated(z_val, y_val, name))
    best = min(entry["log_loss_validation_cv5"] for entry in compared.values())
    close = [n for n, e in compared.items() if e["log_loss_validation_cv5"] <= best + CHOICE_TOLERANCE]
    return min(close, key=_PARAMETERS.__getitem__), compared


def _probabilities(net, samples: list[Sample], spec: PreprocessSpec, temperature: float, mapping: dict):
    scores = score_samples(net, samples, spec)
    return scores, apply_recalibration(scores.logits / temperature, mapping)


def pair_figures(
    net,
    boxes_csv: Path,
    thumbnails: Path,
    old: PreprocessSpec,
    new: PreprocessSpec,
    temperature: float,
    mapping: dict,
    threshold: float,
) -> dict:
    """Thumbnail vs full-size film of the same NIH film, under the old and the new preprocessing.

    Args:
        boxes_csv: nih-boxes/boxes.csv (``cxr128_match`` names the thumbnail in ``thumbnails``).
    """
    films, thumbs = matched_pairs(Path(boxes_csv), Path(thumbnails))
    _, p_thumb = _probabilities(net, thumbs, new, temperature, mapping)
    out = {
        "films": len(films),
        "source": f"{Path(boxes_csv).parent.name}: films whose cxr128_match is the same film "
        "(training films; all cardiomegaly)",
        "thumbnail_mean_probability": float(p_thumb.mean()),
        "thumbnail_sensitivity": float((p_thumb >= threshold).mean()),
    }
    for name, spec in (("before", old), ("after", new)):
        _, p_full = _probabilities(net, films, spec, temperature, mapping)
        correlation = [
            float(np.corrcoef(load_input(f.path, spec).ravel(), load_input(t.path, new).ravel())[0, 1])
            for f, t in zip(films, thumbs)
        ]
        out[name] = {
            "preprocessing_version": spec.version,
            "median_pixel_correlation": float(np.median(correlation)),
            **pair_statistics(p_thumb, p_full, threshold),
        }
    return out


def view_figures(
    net, boxes_csv: Path, spec: PreprocessSpec, temperature: float, mapping: dict, threshold: float
) -> dict:
    """Sensitivity by view on the boxed films (all cardiomegaly: no specificity or AUROC is measurable)."""
    rows = list(csv.DictReader(open(boxes_csv, newline="", encoding="utf-8")))
    films = [Sample(Path(boxes_csv).parent / "images" / r["image"], 1) for r in rows]
    _, p = _probabilities(net, films, spec, temperature, mapping)
    views = np.array([r.get("view", "") for r in rows])
    return {
        view: {
            "films": int((views == view).sum()),
            "mean_probability": float(p[views == view].mean()),
            "sensitivity": float((p[views == view] >= threshold).mean()),
        }
        for view in sorted(set(views))
        if view
    }


def view_notes(views: dict) -> dict[str, str]:
    """What the viewer and reports say for an AP film (the figures differ; one mixed-view operating point)."""
    if "AP" not in views or "PA" not in views:
        return {}
    ap, pa = views["AP"], views["PA"]
    return {
        "AP": f"figures differ for this view: sensitivity {ap['sensitivity']:.2f} on AP against "
        f"{pa['sensitivity']:.2f} on PA (NIH boxed films, all cardiomegaly); one threshold and "
        "calibration serve all views (validation has no view labels)"
    }


def refit_bundle(
    bundle_dir: Path, data: Path, boxes_csv: Path | None, seed: int = 0, signing_key=None, bootstrap: int = 2000
) -> dict:
    """Rewrite ``bundle_dir``'s manifest with preprocessing version 2 and the refitted calibration.

    Returns:
        the new manifest.
    """
    bundle = load_bundle(bundle_dir)
    manifest = dict(bundle.manifest)
    old = bundle.preprocess
    new = replace(old, version=2)
    temperature = bundle.temperature
    net = load_network(bundle)
    _log(f"splitting {data} (seed {seed})")
    split = split_data(Path(data), seed=seed)
    _log(f"scoring validation ({len(split.val)}) and test ({len(split.test)})")
    val, test = score_samples(net, split.val, new), score_samples(net, split.test, new)
    z_val, z_test = val.logits / temperature, test.logits / temperature
    choice, compared = choose_calibration(z_val, val.labels, z_test, test.labels)
    mapping = compared[choice]["map"]
    p_val, p_test = apply_recalibration(z_val, mapping), apply_recalibration(z_test, mapping)
    threshold = m.choose_threshold(val.labels, p_val, "youden")
    op = m.classification_report(val.labels, p_val, threshold)
    evaluation = {
        key: value for key, value in manifest.get("evaluation", {}).items() if key in ("split", "attention")
    }  # test thumbnails render as before: their maps are unchanged
    evaluation.update(classification_metrics(test.labels, p_test, threshold, bootstrap))
    evaluation["ece_before_recalibration"] = m.expected_calibration_error(test.labels, 1 / (1 + np.exp(-z_test)))
    evaluation["reliability_before_recalibration"] = m.reliability_bins(test.labels, 1 / (1 + np.exp(-z_test)))
    evaluation["prevalence_validation"] = prevalence_table(op["sensitivity"], op["specificity"])
    evaluation["prevalence_test"] = prevalence_table(evaluation["sensitivity"], evaluation["specificity"])
    manifest.update(
        {
            "preprocessing": new.to_dict(),
            "threshold": threshold,
            "threshold_rule": f"youden on recalibrated validation probabilities (preprocessing version {new.version})",
            "validation_operating_point": {
                "sensitivity": op["sensitivity"],
                "specificity": op["specificity"],
                "accuracy": op["accuracy"],
                "images": len(val.samples),
            },
            "validation_auroc": m.auroc(val.labels, p_val),
            "calibration": {
                **manifest.get("calibration", {}),
                "recalibration": mapping,
                "recalibration_rule": "the lowest 5-fold cross-validated log loss inside validation "
                f"(ties within {CHOICE_TOLERANCE} to the fewer parameters)",
                "compared": {name: {k: v for k, v in entry.items() if k != "map"} for name, entry in compared.items()},
                "ece_validation_after_recalibration": m.expected_calibration_error(val.labels, p_val),
            },
        }
    )
    if boxes_csv is not None:
        _log(f"films with boxes, pairs and views ({boxes_csv})")
        evaluation["box_localisation"] = {
            **manifest.get("evaluation", {}).get("box_localisation", {}),
            **boxes_report(net, test, Path(boxes_csv), new, temperature),
            "preprocessing_version": new.version,
        }
        evaluation["pairs"] = pair_figures(net, Path(boxes_csv), Path(data), old, new, temperature, mapping, threshold)
        evaluation["views_boxed_films"] = views = view_figures(
            net, Path(boxes_csv), new, temperature, mapping, threshold
        )
        manifest["view_notes"] = view_notes(views)
    manifest["evaluation"] = evaluation
    write_manifest(Path(bundle_dir), manifest, signing_key)
    return load_bundle(bundle_dir).manifest

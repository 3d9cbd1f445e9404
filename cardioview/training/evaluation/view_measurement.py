"""Measure a classifier bundle per view on its validation and test splits (issue 19, item 4).

The splits' thumbnails have no view label, so each film's view is estimated (:mod:`view_estimator`,
trained on the films whose view is known) and the figures are given per **estimated** view, beside the
estimator's own cross-validated accuracy and the NIH-wide share of AP films as a population check. The few
split films that are the thumbnails of boxed films keep their known view.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

import numpy as np

from cardioview.inference.calibration_map import apply_recalibration
from cardioview.model.bundle import load_bundle
from cardioview.model.checkpoint import load_network
from cardioview.training.classifier.run_split import split_data
from cardioview.training.evaluation.view_estimator import (
    cardiomegaly_directions,
    cross_validate,
    fit_view_estimator,
    labelled_view_films,
)
from cardioview.training.evaluation.view_features import file_features
from cardioview.training.evaluation.view_figures import per_view_threshold_decision, view_figures

DATA_ENTRY = Path("nih-metadata") / "Data_Entry_2017_v2020.csv.gz"


def _log(message: str) -> None:
    print(f"views: {message}", file=sys.stderr, flush=True)


def nih_ap_shares(data_entry: Path) -> dict | None:
    """Share of AP films among NIH's cardiomegaly films and among the others (None without the file)."""
    if not Path(data_entry).is_file():
        return None
    counts = {True: [0, 0], False: [0, 0]}  # cardiomegaly -> [films, AP films]
    with gzip.open(data_entry, "rt", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            entry = counts["Cardiomegaly" in r["Finding Labels"]]
            entry[0] += 1
            entry[1] += r["View Position"].strip().upper() == "AP"
    return {
        "cardiomegaly": counts[True][1] / counts[True][0],
        "other": counts[False][1] / counts[False][0],
        "films": counts[True][0] + counts[False][0],
    }


def _balanced(samples: list, count: int, seed: int) -> list:
    """``count`` samples, half of each label, drawn at random (the cardiomegaly directions' training films)."""
    rng = np.random.default_rng(seed)
    out = []
    for label in (0, 1):
        pool = [s for s in samples if s.label == label]
        out += [pool[i] for i in rng.choice(len(pool), min(count // 2, len(pool)), replace=False)]
    return out


def measure_views(
    bundle_dir: Path, shared: Path, seed: int = 0, bootstrap: int = 2000, direction_films: int = 600, limit: int = 0
) -> dict:
    """The manifest section ``evaluation.views_estimated`` for the bundle in ``bundle_dir``.

    Args:
        shared: ../shared/data (cxr128, nih-boxes, nih1024, nih-metadata).
        seed: the split seed of the bundle's training run.
        direction_films: training-split thumbnails that define the cardiomegaly directions removed.
        limit: split only this many cxr128 images (balanced; tests) instead of all.
    """
    shared = Path(shared)
    bundle = load_bundle(bundle_dir)
    net, spec, threshold = load_network(bundle), bundle.preprocess, bundle.threshold
    _log(f"splitting {shared / 'cxr128'} (seed {seed})")
    split = split_data(shared / "cxr128", seed=seed, limit=limit)
    direction_set = _balanced(split.train, direction_films, seed)
    _log(f"cardiomegaly directions from {len(direction_set)} training thumbnails")
    features, _ = file_features(net, [s.path for s in direction_set], spec)
    removal = cardiomegaly_directions(features, np.array([s.label for s in direction_set]))
    films = labelled_view_films(shared)
    _log(f"view estimator on {len(films)} films of known view")
    features, _ = file_features(net, [f.path for f in films], spec)
    views, groups = np.array([f.view for f in films]), np.array([f.patient for f in films])
    accuracy = cross_validate(features, views, groups, np.array([f.label for f in films]), removal)
    estimator = fit_view_estimator(features, views, groups, removal)
    known = {Path(f.path).resolve(): f.view for f in films}
    parts, known_counts = {}, {}
    for name, samples in (("validation", split.val), ("test", split.test)):
        _log(f"scoring {name} ({len(samples)} thumbnails)")
        f, logits = file_features(net, [s.path for s in samples], spec)
        y = np.array([s.label for s in samples])
        p = apply_recalibration(logits / bundle.temperature, bundle.recalibration)
        estimated = estimator.estimate(f)
        # a split film that is a boxed film's thumbnail has a known view (and trained the estimator): use it
        known_here = [i for i, s in enumerate(samples) if Path(s.path).resolve() in known]
        estimated[known_here] = [known[Path(samples[i].path).resolve()] for i in known_here]
        parts[name] = (y, p, estimated)
        known_counts[name] = len(known_here)
    section = {
        "estimator": {
            **accuracy,
            "features": "globally averaged backbone features of this bundle's network (frozen), the cardiomegaly "
            "directions of the training split projected out; logistic regression",
            "training_films": "nih-boxes (all cardiomegaly; the cxr128 thumbnail where one matches) and nih1024",
            "C": estimator.C,
        },
        "threshold": threshold,
        "per_view_threshold": per_view_threshold_decision(parts["validation"], parts["test"], threshold, accuracy),
    }
    for name, (y, p, estimated) in parts.items():
        section[name] = {
            "films": int(len(y)),
            "known_view_films": known_counts[name],
            "estimated_ap_share": {
                "cardiomegaly": float(np.mean(estimated[y == 1] == "AP")),
                "other": float(np.mean(estimated[y == 0] == "AP")),
            },
            "views": view_figures(y, p, estimated, threshold, bootstrap),
        }
    shares = nih_ap_shares(shared / DATA_ENTRY)
    if shares:
        section["nih_ap_share"] = shares
    return section

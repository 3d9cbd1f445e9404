"""The ensemble measurement of ``cardioview compare --ensemble`` (issue 19, item 5: the AMM and GAP question).

**The ensemble's logit is the mean of its members' logits after each member's temperature**:
z_i = logit_i / T_i, the value each member's ONNX export feeds its sigmoid (T is baked in), so a
shipped ensemble could average the exported outputs as they are. The members' own recalibration
maps are not used: the ensemble gets its own, fitted on validation exactly as ``cardioview refit``
fits a bundle's (Platt / beta / isotonic after T, chosen by 5-fold cross-validated log loss), and
its own threshold (Youden on the recalibrated validation probabilities). Every member is refitted
the same way, so all rows are measured alike (the shipped AMM was refitted by that procedure, so
its row repeats its card).

Films: the bundles' training split rebuilt as refit.py does (same data, same seed), each image at
preprocessing version 2. Validation decides (ensemble minus the first bundle, the shipped one);
test is reported. AUROC is computed on the logit: a monotone map cannot change the ranking, but
isotonic's ties could.

    comparison.json   per model (members, ensemble): calibration, threshold, validation and test
                      figures; the paired differences; the decision (with the cost from
                      benchmarks/ensemble_benchmark.py --json)
    ensemble.md       the same as a markdown table (what the model card renders)
    predictions.csv   path, label, split, each member's z, the ensemble's z and probability
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from cardioview.atomic import atomic_write_text
from cardioview.errors import WeightsError
from cardioview.inference.calibration_map import apply_recalibration
from cardioview.model.bundle import load_bundle, write_manifest
from cardioview.model.checkpoint import load_network
from cardioview.training.card.card_tables import ensemble_markdown
from cardioview.training.classifier.data import Sample, describe_counts
from cardioview.training.classifier.refit import choose_calibration
from cardioview.training.classifier.run_split import split_data
from cardioview.training.evaluation import metrics as m
from cardioview.training.evaluation.compare import bundle_label
from cardioview.training.evaluation.evaluate import write_predictions
from cardioview.training.evaluation.scoring import restrict_scores, score_samples
from cardioview.training.evaluation.thumbnail_pairs import matched_pairs, pair_rows

OUTPUT_FILES = ("comparison.json", "ensemble.md", "predictions.csv")
COST_LIMIT = 1.5
ENSEMBLE_RULE = (
    "mean of the members' logits after each member's temperature (z_i = logit_i / T_i, what each ONNX export "
    "feeds its sigmoid), then the ensemble's own calibration map and threshold fitted on validation"
)
DECISION_RULE = (
    f"ship the ensemble only if its validation AUROC is above the first bundle's (paired difference > 0) and "
    f"its end-to-end predict time is under {COST_LIMIT}x the first bundle's (benchmarks/ensemble_benchmark.py)"
)


def ensemble_logit(member_z: list[np.ndarray]) -> np.ndarray:
    """The ensemble's z: the mean of the members' z = logit / T (see the module's docstring)."""
    return np.mean(np.stack([np.asarray(z, dtype=np.float64) for z in member_z]), axis=0)


def member_logits(bundles: list, samples: list[Sample]) -> tuple[list[Sample], list[np.ndarray]]:
    """Each bundle's z = logit / T on ``samples`` at preprocessing version 2; only films every bundle read.

    Returns:
        (the films kept, in ``samples``' order; one z array per bundle).
    """
    scores = [score_samples(load_network(b), samples, replace(b.preprocess, version=2)) for b in bundles]
    common = set.intersection(*({str(s.path) for s in sc.samples} for sc in scores))
    if not common:
        raise ValueError("no image could be read by every bundle")
    scores = [restrict_scores(sc, common) for sc in scores]
    return scores[0].samples, [sc.logits.astype(np.float64) / b.temperature for sc, b in zip(scores, bundles)]


def _split_figures(y: np.ndarray, z: np.ndarray, p: np.ndarray, threshold: float, bootstrap: int) -> dict:
    """AUROC (on z) with its CI; sensitivity, specificity, accuracy at ``threshold`` and ECE (on p)."""
    report = m.classification_report(y, p, threshold)
    return {
        "images": int(len(y)),
        "positives": int(y.sum()),
        "auroc": m.auroc(y, z),
        "auroc_ci95": list(m.bootstrap_auroc_ci(y, z, bootstrap)) if bootstrap else None,
        "sensitivity": report["sensitivity"],
        "specificity": report["specificity"],
        "accuracy": report["accuracy"],
        "ece": m.expected_calibration_error(y, p),
    }


def fitted_model(label: str, z_val, y_val, z_test, y_test, bootstrap: int) -> tuple[dict, np.ndarray]:
    """One model's row: calibration and threshold fitted on validation, figures on validation and test.

    Returns:
        (the row, the recalibrated test probabilities).
    """
    choice, compared = choose_calibration(z_val, y_val, z_test, y_test)
    mapping = compared[choice]["map"]
    p_val, p_test = apply_recalibration(z_val, mapping), apply_recalibration(z_test, mapping)
    threshold = m.choose_threshold(y_val, p_val, "youden")
    test = _split_figures(y_test, z_test, p_test, threshold, bootstrap)
    test["ece_temperature_only"] = m.expected_calibration_error(y_test, apply_recalibration(z_test, None))
    row = {
        "label": label,
        "calibration": {
            "method": choice,
            "map": mapping,
            "log_loss_validation_cv5": compared[choice]["log_loss_validation_cv5"],
        },
        "threshold": threshold,
        "validation": _split_figures(y_val, z_val, p_val, threshold, bootstrap),
        "test": test,
    }
    return row, p_test


def decide(delta_validation: dict, cost: dict | None) -> dict:
    """The issue's rule: wins on validation AND costs under COST_LIMIT x; None where the cost was not measured."""
    wins = bool(delta_validation["delta"] > 0)
    ratio = None if cost is None else cost.get("end_to_end_ratio")
    cheap = None if ratio is None else bool(ratio < COST_LIMIT)
    ship = False if not wins or cheap is False else (True if cheap else None)
    if ship is None:
        verdict = "wins on validation; cost not measured (run benchmarks/ensemble_benchmark.py --json, pass --cost)"
    else:
        reasons = [
            "wins on validation" if wins else "does not win on validation",
            "cost not measured" if ratio is None else f"costs {ratio:.2f}x (limit {COST_LIMIT}x)",
        ]
        verdict = ("ship the ensemble: " if ship else "keep the single model: ") + ", ".join(reasons)
    return {
        "rule": DECISION_RULE,
        "validation_delta": delta_validation["delta"],
        "validation_delta_ci95": delta_validation["ci95"],
        "wins_on_validation": wins,
        "significant_on_validation": bool(delta_validation["ci95"][0] > 0),
        "cost_ratio": ratio,
        "cost_limit": COST_LIMIT,
        "under_cost_limit": cheap,
        "ship_ensemble": ship,
        "verdict": verdict,
    }


def _split_check(bundles: list, split) -> dict[str, bool | None]:
    """Whether each bundle's recorded training split has the rebuilt split's validation and test counts.

    Counts only (a bundle does not list its films): a guard against the wrong --data, --seed or --limit.
    """
    out = {}
    for b in bundles:
        recorded = b.manifest.get("training", {}).get("split", {})
        out[b.model_id] = (
            None
            if "val" not in recorded
            else recorded["val"] == describe_counts(split.val) and recorded.get("test") == describe_counts(split.test)
        )
    return out


def measure_ensemble(
    bundles: list[Path],
    data: Path,
    seed: int = 0,
    limit: int = 0,
    bootstrap: int = 2000,
    cost: dict | None = None,
    boxes: Path | None = None,
) -> tuple[dict, dict]:
    """Score the members and their ensemble on the rebuilt split; returns (comparison.json, predictions columns).

    Args:
        bundles: two or more bundle folders; the first is the reference (the shipped AMM).
        data: the bundles' training source (a labels.csv folder or an NIH root).
        limit: use only this many images of ``data`` before splitting (smoke tests); 0 = all.
        cost: benchmarks/ensemble_benchmark.py's JSON, or None.
        boxes: nih-boxes/boxes.csv, for each candidate's thumbnail-vs-full-size pair figures (or None).

    Raises:
        ValueError: fewer than two bundles, or no image every bundle reads.
    """
    if len(bundles) < 2:
        raise ValueError("an ensemble needs at least two bundles")
    loaded = [load_bundle(p) for p in bundles]
    names = [Path(p).name for p in bundles]
    labels = [bundle_label(b, Path(p), names) for b, p in zip(loaded, bundles)]
    split = split_data(Path(data), seed=seed, limit=limit)
    val_samples, z_val = member_logits(loaded, split.val)
    test_samples, z_test = member_logits(loaded, split.test)
    y_val = np.array([s.label for s in val_samples])
    y_test = np.array([s.label for s in test_samples])
    z_val.append(ensemble_logit(z_val))
    z_test.append(ensemble_logit(z_test))
    labels.append("ensemble (mean logit after T)")

    models, p_test = [], []
    for label, zv, zt in zip(labels, z_val, z_test):
        row, pt = fitted_model(label, zv, y_val, zt, y_test, bootstrap)
        models.append(row)
        p_test.append(pt)
    models[-1]["members"] = [b.model_id for b in loaded]
    resamples = max(bootstrap, 1)
    pairs = {
        name: [
            {"a": labels[i], "b": labels[0], **m.paired_bootstrap_auroc(y, z[i], z[0], resamples)}
            for i in range(1, len(labels))
        ]
        for name, y, z in (("validation", y_val, z_val), ("test", y_test, z_test))
    }
    result = {
        "kind": "ensemble",
        "ensemble_rule": ENSEMBLE_RULE,
        "reference": labels[0],
        "split": {
            "data": str(data),
            "seed": seed,
            "limit": limit,
            "preprocessing_version": 2,
            "validation": describe_counts(val_samples),
            "test": describe_counts(test_samples),
            "not_readable_by_every_bundle": len(split.val) + len(split.test) - len(val_samples) - len(test_samples),
            "counts_match_training_split": _split_check(loaded, split),
        },
        "models": models,
        "pairs": pairs,
        "cost": cost,
        "decision": decide(pairs["validation"][-1], cost),
    }
    if boxes is not None:
        films, thumbs = matched_pairs(Path(boxes), Path(data))
        z_full, z_thumb = member_logits(loaded, films)[1], member_logits(loaded, thumbs)[1]
        z_full.append(ensemble_logit(z_full))
        z_thumb.append(ensemble_logit(z_thumb))
        result["thumbnail_pairs"] = pair_rows(models, z_thumb, z_full)
    columns = {
        "split": np.array(["validation"] * len(val_samples) + ["test"] * len(test_samples)),
        **{
            f"z{i + 1}: {label}": np.concatenate([zv, zt])
            for i, (label, zv, zt) in enumerate(zip(labels, z_val, z_test))
        },
        "p ensemble (its own calibration)": np.concatenate(
            [apply_recalibration(z_val[-1], models[-1]["calibration"]["map"]), p_test[-1]]
        ),
    }
    return result, {"samples": val_samples + test_samples, "columns": columns}


def compare_ensemble(
    bundles: list[Path],
    data: Path,
    out: Path,
    seed: int = 0,
    limit: int = 0,
    bootstrap: int = 2000,
    cost: dict | None = None,
    overwrite: bool = False,
    boxes: Path | None = None,
) -> dict:
    """:func:`measure_ensemble`, written to ``out``; returns comparison.json's content.

    Raises:
        FileExistsError: ``out`` already holds a comparison and ``overwrite`` is False.
    """
    out = Path(out)
    if not overwrite and any((out / f).exists() for f in OUTPUT_FILES):
        raise FileExistsError(f"{out}: already holds a comparison; choose another --out")
    result, predictions = measure_ensemble(bundles, data, seed, limit, bootstrap, cost, boxes)
    out.mkdir(parents=True, exist_ok=True)
    write_predictions(out / "predictions.csv", predictions["samples"], predictions["columns"], overwrite)
    atomic_write_text(out / "ensemble.md", ensemble_markdown(result) + "\n", overwrite=overwrite)
    atomic_write_text(out / "comparison.json", json.dumps(result, indent=1) + "\n", overwrite=overwrite)
    return result


def record_measurement(bundle_dir: Path, result: dict, signing_key=None) -> dict:
    """Write ``result`` (compare --ensemble's comparison.json) into the bundle's manifest as ``ensemble_measurement``.

    The calibration maps are left out (comparison.json keeps them): the entry is a record for the card,
    not something the Predictor applies. The network files are checked against their hashes first, as
    re-signing must not bless a swapped file.

    Raises:
        WeightsError: the bundle is signed and no ``signing_key`` was given (the signature would be lost),
            or a file fails its hash.
        ValueError: ``result`` is not an ensemble comparison.
    """
    if result.get("kind") != "ensemble" or "decision" not in result:
        raise ValueError("not the comparison.json of 'cardioview compare --ensemble'")
    bundle = load_bundle(bundle_dir)
    if "signature" in bundle.manifest and signing_key is None:
        raise WeightsError(f"{bundle_dir}: the bundle is signed; pass --signing-key to re-sign it with the measurement")
    for filename in bundle.manifest["files"]:
        bundle.verified_path(filename)
    entry = {
        **result,
        "models": [
            {**r, "calibration": {k: v for k, v in r["calibration"].items() if k != "map"}} for r in result["models"]
        ],
    }
    write_manifest(Path(bundle_dir), {**bundle.manifest, "ensemble_measurement": entry}, signing_key)
    return load_bundle(bundle_dir).manifest

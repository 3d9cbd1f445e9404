"""Evaluate a weights bundle on labelled images: metrics.json, roc.png, confusion.png, calibration.png, predictions.csv.

>>> report = evaluate_bundle(Path("weights/cxa_dense121"), samples, Path("out/eval"), attention=True)
>>> report["auroc"], report["auroc_ci95"]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from cardioview.atomic import atomic_write_bytes, atomic_write_text
from cardioview.csv_safe import csv_bytes
from cardioview.imaging import load
from cardioview.model.bundle import load_bundle
from cardioview.model.checkpoint import load_network
from cardioview.training.card.plots import calibration_figure, confusion_figure, roc_figure, save_png
from cardioview.training.classifier.calibration import sigmoid
from cardioview.training.classifier.data import Sample
from cardioview.training.evaluation import metrics as m
from cardioview.training.evaluation.attention_metrics import attention_figures
from cardioview.training.evaluation.box_localisation import localisation_figures, read_box_table
from cardioview.training.evaluation.scoring import Scores, bundle_probabilities, forward_gray, load_input, score_samples

OUTPUT_FILES = ("metrics.json", "roc.png", "confusion.png", "calibration.png", "predictions.csv")


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float, bootstrap: int = 2000, seed: int = 0
) -> dict:
    """AUROC with bootstrap 95 % CI, the per-class report at ``threshold``, ECE and reliability bins."""
    auc = m.auroc(labels, probabilities)
    out = {
        "images": int(len(labels)),
        "positives": int(np.sum(labels)),
        "auroc": auc,
        "auroc_ci95": list(m.bootstrap_auroc_ci(labels, probabilities, bootstrap, seed=seed)) if bootstrap else None,
        "bootstrap_resamples": bootstrap,
    }
    out.update(m.classification_report(labels, probabilities, threshold))
    out["ece"] = m.expected_calibration_error(labels, probabilities)
    out["reliability"] = m.reliability_bins(labels, probabilities)
    return out


def probability_fn(net: torch.nn.Module, temperature: float, batch_size: int = 16):
    """(N, H, W) float inputs -> calibrated probabilities, batched."""

    def run(grays: np.ndarray) -> np.ndarray:
        logits = np.concatenate(
            [forward_gray(net, grays[i : i + batch_size])[0] for i in range(0, len(grays), batch_size)]
        )
        return sigmoid(logits / temperature)

    return run


def attention_report(
    net: torch.nn.Module, scores: Scores, spec, temperature: float, limit: int = 0, seed: int = 0
) -> dict:
    """Section-4 attention figures on the cardiomegaly images among ``scores`` (first ``limit`` if set)."""
    idx = [i for i, s in enumerate(scores.samples) if s.label == 1]
    if limit:
        idx = idx[:limit]
    grays = [load_input(scores.samples[i].path, spec) for i in idx]
    return attention_figures(grays, scores.attention[idx], probability_fn(net, temperature), seed=seed)


def boxes_report(net: torch.nn.Module, scores: Scores, boxes_csv: Path, spec, temperature: float) -> dict:
    """Box localisation (Wang et al.'s scoring, beside the central blob) and the attention figures on boxed films.

    A boxes.csv beside its films (``images/``) is scored on those films; a BBox_List_2017.csv
    on the scored samples whose file names it lists.
    """
    records = read_box_table(boxes_csv)
    if records and all(r.path is not None for r in records):
        films = score_samples(net, [Sample(r.path, 1) for r in records], spec)
        by_path = {str(r.path): r for r in records}
        pairs = [(s, w, by_path[str(s.path)]) for s, w in zip(films.samples, films.attention)]
        source = f"the {len(records)} films beside {Path(boxes_csv).name}"
    else:
        by_name = {r.image: r for r in records}
        pairs = [
            (s, w, by_name[Path(s.path).name])
            for s, w in zip(scores.samples, scores.attention)
            if Path(s.path).name in by_name
        ]
        source = f"scored images listed in {Path(boxes_csv).name}"
    items = [(w, load(s.path).shape, r.box) for s, w, r in pairs]
    report = {"source": source, **localisation_figures(items)}
    views = sorted({r.view for _, _, r in pairs if r.view})
    for view in views:
        report[f"model_{view}"] = localisation_figures([it for it, (_, _, r) in zip(items, pairs) if r.view == view])[
            "model"
        ]
    if pairs:
        grays = [load_input(s.path, spec) for s, _, _ in pairs]
        report["attention"] = attention_figures(
            grays, np.stack([w for _, w, _ in pairs]), probability_fn(net, temperature)
        )
    return report


def write_figures(out: Path, report: dict, overwrite: bool, fpr, tpr) -> None:
    point = (1 - report["specificity"], report["sensitivity"])
    save_png(out / "roc.png", roc_figure(fpr, tpr, report["auroc"], report["auroc_ci95"], point), overwrite)
    save_png(
        out / "confusion.png",
        confusion_figure(report["confusion_matrix"]["rows_true_cols_predicted"], threshold=report["threshold"]),
        overwrite,
    )
    save_png(out / "calibration.png", calibration_figure(report["reliability"], report["ece"]), overwrite)


def write_predictions(path: Path, samples: list[Sample], columns: dict[str, np.ndarray], overwrite: bool) -> Path:
    """predictions.csv: one row per scored image (path, label, then ``columns``), so any figure can be recomputed."""
    # csv_bytes: a file name such as "=HYPERLINK(...).png" stays text in a spreadsheet
    rows = (
        [str(s.path), s.label, *(f"{v[k]:.6f}" if v.dtype.kind == "f" else v[k] for v in columns.values())]
        for k, s in enumerate(samples)
    )
    return atomic_write_bytes(path, csv_bytes(["path", "label", *columns], rows), overwrite=overwrite)


def format_table(report: dict) -> str:
    """The paper's Table 4/5 layout plus AUROC, as text."""
    lines = [f"{'class':<18}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, c in report["per_class"].items():
        lines.append(f"{name:<18}{c['precision']:>10.3f}{c['recall']:>10.3f}{c['f1']:>10.3f}{c['support']:>10d}")
    w = report["weighted_avg"]
    lines.append(f"{'weighted avg':<18}{w['precision']:>10.3f}{w['recall']:>10.3f}{w['f1']:>10.3f}{w['support']:>10d}")
    ci = report.get("auroc_ci95")
    lines.append(
        f"accuracy {report['accuracy']:.3f} | AUROC {report['auroc']:.3f}"
        + (f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})" if ci else "")
        + f" | sensitivity {report['sensitivity']:.3f} specificity {report['specificity']:.3f}"
        f" at threshold {report['threshold']:.3f} | ECE {report['ece']:.3f}"
    )
    return "\n".join(lines)


def evaluate_bundle(
    bundle_path: Path,
    samples: list[Sample],
    out: Path,
    attention: bool = False,
    boxes: Path | None = None,
    attention_limit: int = 0,
    bootstrap: int = 2000,
    overwrite: bool = False,
) -> dict:
    """Score ``samples`` with the bundle (its preprocessing, temperature and threshold) and write the report.

    Raises:
        FileExistsError: ``out`` already holds a report and ``overwrite`` is False.
        WeightsError: the bundle is unusable.
    """
    out = Path(out)
    if not overwrite and any((out / f).exists() for f in OUTPUT_FILES):
        raise FileExistsError(f"{out}: already holds an evaluation; choose another --out")
    bundle = load_bundle(bundle_path)
    net = load_network(bundle)
    scores = score_samples(net, samples, bundle.preprocess)
    probs = bundle_probabilities(scores, bundle)
    report = {
        "model": bundle.model_id,
        "skipped_unreadable": scores.skipped,
        "preprocessing": bundle.manifest["preprocessing"],
        "temperature": bundle.temperature,
    }
    report.update(classification_metrics(scores.labels, probs, bundle.threshold, bootstrap))
    if attention:
        report["attention"] = attention_report(net, scores, bundle.preprocess, bundle.temperature, attention_limit)
    if boxes is not None:
        report["localisation"] = boxes_report(net, scores, boxes, bundle.preprocess, bundle.temperature)
    out.mkdir(parents=True, exist_ok=True)
    fpr, tpr, _ = m.roc_curve(scores.labels, probs)
    write_figures(out, report, overwrite, fpr, tpr)
    write_predictions(
        out / "predictions.csv",
        scores.samples,
        {"probability": probs, "positive": (probs >= bundle.threshold).astype(int)},
        overwrite,
    )
    atomic_write_text(out / "metrics.json", json.dumps(report, indent=1) + "\n", overwrite=overwrite)
    return report

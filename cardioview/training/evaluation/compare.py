"""Compare weights bundles on the same labelled images: the AMM-vs-GAP ablation, or any A/B of two models.

Each bundle scores the images with its own preprocessing, temperature and
threshold; the difference in AUROC gets a paired bootstrap CI and p-value
(both models on the same resampled images).

    comparison.json        per model: AUROC + CI, report at its threshold, ECE
                           (and attention figures with ``attention=True``);
                           per pair: delta AUROC, 95 % CI, p-value
    roc_comparison.png     the ROC curves on one axes
    predictions.csv        path, label, one probability column per model
"""

from __future__ import annotations

import json
from pathlib import Path

from cardioview.atomic import atomic_write_text
from cardioview.model.bundle import load_bundle
from cardioview.model.checkpoint import load_network
from cardioview.training.card.plots import roc_comparison_figure, save_png
from cardioview.training.classifier.data import Sample
from cardioview.training.evaluation import metrics as m
from cardioview.training.evaluation.evaluate import attention_report, classification_metrics, write_predictions
from cardioview.training.evaluation.scoring import bundle_probabilities, restrict_scores, score_samples

OUTPUT_FILES = ("comparison.json", "roc_comparison.png", "predictions.csv")


def bundle_label(bundle, path: Path, names: list[str]) -> str:
    """Folder name and architecture; the whole path when two bundles share a folder name."""
    arch = bundle.manifest.get("architecture", {})
    name = path.name if names.count(path.name) == 1 else str(path)
    return f"{name} ({arch.get('display_name', arch.get('head', '?'))})"


def compare_bundles(
    bundles: list[Path],
    samples: list[Sample],
    out: Path,
    attention: bool = False,
    attention_limit: int = 0,
    bootstrap: int = 2000,
    overwrite: bool = False,
) -> dict:
    """Score ``samples`` with every bundle and write the comparison to ``out``; returns comparison.json's content.

    Only images every bundle could read are compared, so all figures share one image set.

    Raises:
        FileExistsError: ``out`` already holds a comparison and ``overwrite`` is False.
        ValueError: fewer than two bundles.
    """
    if len(bundles) < 2:
        raise ValueError("compare needs at least two bundles")
    out = Path(out)
    if not overwrite and any((out / f).exists() for f in OUTPUT_FILES):
        raise FileExistsError(f"{out}: already holds a comparison; choose another --out")
    loaded = [(Path(p), load_bundle(p)) for p in bundles]
    names = [path.name for path, _ in loaded]
    nets = [load_network(bundle) for _, bundle in loaded]
    all_scores = [score_samples(net, samples, bundle.preprocess) for net, (_, bundle) in zip(nets, loaded)]
    common = set.intersection(*({str(s.path) for s in sc.samples} for sc in all_scores))
    if not common:
        raise ValueError("no image could be read by every bundle")
    all_scores = [restrict_scores(sc, common) for sc in all_scores]

    models, probs, curves = [], [], []
    for (path, bundle), net, scores in zip(loaded, nets, all_scores):
        p = bundle_probabilities(scores, bundle)
        report = classification_metrics(scores.labels, p, bundle.threshold, bootstrap)
        report.pop("reliability")
        entry = {
            "bundle": str(path),
            "label": bundle_label(bundle, path, names),
            "model": bundle.model_id,
            "architecture": bundle.manifest.get("architecture", {}),
            "recipe": bundle.manifest.get("training", {}).get("config", {}).get("recipe"),
            **report,
        }
        if attention:
            entry["attention"] = attention_report(net, scores, bundle.preprocess, bundle.temperature, attention_limit)
        models.append(entry)
        probs.append(p)
        fpr, tpr, _ = m.roc_curve(scores.labels, p)
        curves.append((f"{entry['label']}: {report['auroc']:.3f}", fpr, tpr))
    labels = all_scores[0].labels
    pairs = [
        {
            "a": models[i]["label"],
            "b": models[j]["label"],
            **m.paired_bootstrap_auroc(labels, probs[i], probs[j], max(bootstrap, 1)),
        }
        for i in range(len(models))
        for j in range(i + 1, len(models))
    ]
    result = {
        "images": int(len(labels)),
        "positives": int(labels.sum()),
        "not_readable_by_every_bundle": len(samples) - len(common),
        "models": models,
        "pairs": pairs,
    }

    out.mkdir(parents=True, exist_ok=True)
    save_png(out / "roc_comparison.png", roc_comparison_figure(curves), overwrite)
    write_predictions(
        out / "predictions.csv",
        all_scores[0].samples,
        {f"p{i + 1}: {r['label']}": p for i, (r, p) in enumerate(zip(models, probs))},
        overwrite,
    )
    atomic_write_text(out / "comparison.json", json.dumps(result, indent=1) + "\n", overwrite=overwrite)
    return result


def format_comparison(result: dict) -> str:
    """A printed table: one row per model, then each pair's AUROC difference."""
    lines = [f"{'model':<44}{'AUROC':>8}{'95% CI':>15}{'wF1':>7}{'sens':>7}{'spec':>7}{'ECE':>7}"]
    for r in result["models"]:
        ci = r.get("auroc_ci95") or [float("nan")] * 2
        lines.append(
            f"{r['label'][:43]:<44}{r['auroc']:>8.3f}{ci[0]:>8.3f}-{ci[1]:.3f}{r['weighted_avg']['f1']:>7.3f}"
            f"{r['sensitivity']:>7.3f}{r['specificity']:>7.3f}{r['ece']:>7.3f}"
        )
    for p in result["pairs"]:
        lines.append(
            f"AUROC {p['a']} - {p['b']}: {p['delta']:+.3f} (paired 95% CI {p['ci95'][0]:+.3f} to "
            f"{p['ci95'][1]:+.3f}, p = {p['p_value']:.3f}, {p['resamples']} resamples)"
        )
    return "\n".join(lines)

"""``cardioview views``: a bundle's figures per view (PA / AP) on its validation and test splits (issue 19).

``cardioview views --weights weights/cxa_dense121 --shared ../shared/data --out views.json`` measures;
``--write-manifest`` also puts the section and the AP note into the bundle's manifest, left unsigned:
re-sign it with ``cardioview sign-bundle`` and re-render the card with ``bundle --out BUNDLE --card-only``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cardioview.atomic import atomic_write_text
from cardioview.errors import CardioViewError
from cardioview.training.classifier.data import DataError

EXIT_OK, EXIT_USAGE = 0, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", type=Path, required=True, help="the bundle folder (e.g. weights/cxa_dense121)")
    p.add_argument(
        "--shared", type=Path, required=True, help="../shared/data (cxr128, nih-boxes, nih1024, nih-metadata)"
    )
    p.add_argument("--out", type=Path, required=True, help="the section as JSON (never overwritten)")
    p.add_argument("--seed", type=int, default=0, help="the split seed of the bundle's training run")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for the AUROC CIs")
    p.add_argument(
        "--write-manifest",
        action="store_true",
        help="also add evaluation.views_estimated and view_notes['AP'] to the bundle's manifest",
    )


def format_views(section: dict) -> str:
    """The estimator's accuracy and one line per split and estimated view."""
    est = section["estimator"]
    lines = [
        f"view estimator: cross-validated accuracy {est['accuracy']:.3f} (PA {est['accuracy_per_view']['PA']:.3f}, "
        f"AP {est['accuracy_per_view']['AP']:.3f}; cardiomegaly-free films {est['accuracy_cardiomegaly_free']:.3f})",
        f"{'split':<11}{'view':<5}{'films':>6}{'pos':>5}{'neg':>5}{'AUROC':>7}  {'95% CI':<13}{'sens':>6}{'spec':>6}",
    ]
    for split in ("validation", "test"):
        for view, e in section[split]["views"].items():
            ci = "-".join(f"{c:.3f}" for c in e["auroc_ci95"]) if e["auroc_ci95"] else "n/a"
            lines.append(
                f"{split:<11}{view:<5}{e['films']:>6}{e['positives']:>5}{e['negatives']:>5}"
                f"{e['auroc'] or float('nan'):>7.3f}  {ci:<13}"
                f"{e['sensitivity'] or 0:>6.3f}{e['specificity'] or 0:>6.3f}"
            )
    decision = section["per_view_threshold"]
    lines.append(f"per-view threshold {'adopted' if decision['adopted'] else 'not adopted'}: {decision['reason']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Measure a bundle per (estimated) view; optionally write the section into its manifest."""
    from cardioview.training.evaluation.view_manifest import write_view_section
    from cardioview.training.evaluation.view_measurement import measure_views

    if args.out.exists():
        print(f"error: {args.out} exists; choose another --out", file=sys.stderr)
        return EXIT_USAGE
    try:
        section = measure_views(args.weights, args.shared, args.seed, args.bootstrap)
        atomic_write_text(args.out, json.dumps(section, indent=1))
        if args.write_manifest:
            write_view_section(args.weights, section)
    except (DataError, CardioViewError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(format_views(section))
    if args.write_manifest:
        print(
            f"manifest of {args.weights} updated (unsigned): re-sign it with sign-bundle, then re-render its card "
            f"with: bundle --out {args.weights} --card-only",
            file=sys.stderr,
        )
    return EXIT_OK

"""``cardioview evaluate``: arguments and entry point (see :mod:`cardioview.training.evaluation.evaluate`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cardioview.errors import CardioViewError
from cardioview.model.bundle import find_default_bundle
from cardioview.training.classifier.data import LABELS_CSV, DataError, describe_counts, read_labels_csv
from cardioview.training.classifier.nih import read_nih
from cardioview.training.evaluation.evaluate import evaluate_bundle, format_table

EXIT_OK, EXIT_USAGE = 0, 2


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """--labels or --data: the labelled images to score."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--labels", type=Path, help="CSV with path,label (paths relative to the CSV)")
    src.add_argument(
        "--data", type=Path, help="an NIH ChestX-ray14 root (scores the official test list) or a folder with labels.csv"
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", type=Path, default=None, help="bundle folder (default: the shipped weights)")
    add_source_arguments(p)
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="report folder: metrics.json, roc.png, confusion.png, calibration.png, predictions.csv",
    )
    p.add_argument(
        "--attention",
        action="store_true",
        help="attention figures on the cardiomegaly images: spread, mass ratio, pointing, deletion test",
    )
    p.add_argument(
        "--attention-limit", type=int, default=0, help="use only the first N cardiomegaly images for --attention"
    )
    p.add_argument(
        "--boxes",
        type=Path,
        default=None,
        help="BBox_List_2017.csv, or a boxes.csv beside its films (images/): pointing, IoU, IoBB beside a central blob",
    )
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for the AUROC CI (0 = none)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier report in --out")


def samples_from_args(args: argparse.Namespace):
    if args.labels is not None:
        return read_labels_csv(args.labels)
    if (args.data / LABELS_CSV).is_file():
        return read_labels_csv(args.data / LABELS_CSV)

    _, test = read_nih(args.data)
    if not test:
        raise DataError(f"{args.data}: none of the official test images were found")
    return test


def format_localisation(loc: dict) -> str:
    """The box figures as a small table: the model beside the central blob."""
    lines = [
        f"box localisation on {loc['source']} ({loc['model']['films']} films; Wang et al. scoring at T=60):",
        f"{'':<14}{'pointing':>9}{'IoBB>0.5':>9}{'IoU>0.3':>9}{'IoU>0.5':>9}{'mean IoU':>9}",
    ]
    for name in ("model", "central_blob"):
        r = loc[name]
        t = r["t60"]
        lines.append(
            f"{name:<14}{r['pointing_rate']:>9.3f}{t['iobb_gt_0.5']:>9.3f}{t['iou_gt_0.3']:>9.3f}"
            f"{t['iou_gt_0.5']:>9.3f}{t['mean_iou']:>9.3f}"
        )
    if "attention" in loc:
        a = loc["attention"]
        lines.append(
            f"deletion test (faithfulness) {a['faithfulness_rate']:.3f}{_other_shares(a)}, "
            f"relative spread (median) {a['relative_spread'].get('median', float('nan')):.3f}"
        )
    return "\n".join(lines)


def _other_shares(attention: dict) -> str:
    """' (10 % area: 0.x, 30 % area: 0.y, blurred ...: 0.z)': the deletion tests no training term uses."""
    parts = [f"{float(k):.0%} area: {v:.3f}" for k, v in (attention.get("faithfulness_by_share") or {}).items()]
    if attention.get("faithfulness_blurred") is not None:
        parts.append(f"blurred instead of flattened: {attention['faithfulness_blurred']:.3f}")
    return " (" + ", ".join(parts) + ")" if parts else ""


def run(args: argparse.Namespace) -> int:
    weights = args.weights or find_default_bundle()
    if weights is None:
        print("error: no weights bundle given and none shipped; pass --weights", file=sys.stderr)
        return EXIT_USAGE
    if args.boxes is not None and not args.boxes.is_file():
        print(f"error: {args.boxes}: box file not found", file=sys.stderr)
        return EXIT_USAGE
    try:
        samples = samples_from_args(args)
        print(f"evaluating {Path(weights).name} on {describe_counts(samples)}", file=sys.stderr)
        report = evaluate_bundle(
            Path(weights),
            samples,
            args.out,
            attention=args.attention,
            boxes=args.boxes,
            attention_limit=args.attention_limit,
            bootstrap=args.bootstrap,
            overwrite=args.overwrite,
        )
    except (DataError, CardioViewError, FileExistsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(format_table(report))
    if "attention" in report:
        a = report["attention"]
        print(
            f"attention on {a['images']} cardiomegaly images: relative spread (median) "
            f"{a['relative_spread'].get('median', float('nan')):.3f}, mass ratio (median) "
            f"{a['mass_ratio'].get('median', float('nan')):.3f}, pointing {a['pointing_rate']:.3f}, "
            f"faithfulness {a['faithfulness_rate']:.3f}{_other_shares(a)}"
        )
    if "localisation" in report and report["localisation"]["model"]["films"]:
        print(format_localisation(report["localisation"]))
    print(f"report written to {args.out}", file=sys.stderr)
    return EXIT_OK

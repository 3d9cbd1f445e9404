"""``cardioview compare``: arguments and entry point (see :mod:`cardioview.training.evaluation.compare`).

With ``--ensemble`` it measures the bundles' mean-logit ensemble against the first bundle on the
rebuilt training split instead (:mod:`cardioview.training.evaluation.ensemble`).

Registered in :mod:`cardioview.training.cli`. Exit codes: 0 ok, 2 bad usage or unusable data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cardioview.errors import CardioViewError
from cardioview.training.classifier.data import DataError

EXIT_OK, EXIT_USAGE = 0, 2


def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    from cardioview.training.evaluation.evaluate_cli import add_source_arguments

    p.add_argument(
        "--weights",
        type=Path,
        nargs="+",
        required=True,
        help="two or more bundle folders (e.g. the AMM and the GAP model of an ablation)",
    )
    add_source_arguments(p)
    p.add_argument(
        "--out", type=Path, required=True, help="report folder: comparison.json, roc_comparison.png, predictions.csv"
    )
    p.add_argument("--attention", action="store_true", help="attention figures for each model as well")
    p.add_argument(
        "--attention-limit", type=int, default=0, help="use only the first N cardiomegaly images for --attention"
    )
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for the CIs and the paired test")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier comparison in --out")
    p.add_argument(
        "--ensemble",
        action="store_true",
        help="measure the mean-logit ensemble of the bundles against the first one on the validation and test "
        "splits rebuilt from --data (the bundles' training source) and decide whether to ship it",
    )
    p.add_argument("--seed", type=int, default=0, help="with --ensemble: the split seed of the bundles' training runs")
    p.add_argument(
        "--limit", type=int, default=0, help="with --ensemble: use only this many images of --data (smoke tests)"
    )
    p.add_argument(
        "--cost",
        type=Path,
        default=None,
        help="with --ensemble: the JSON of benchmarks/ensemble_benchmark.py --json, for the decision's cost rule",
    )
    p.add_argument(
        "--pairs",
        type=Path,
        default=None,
        help="with --ensemble: nih-boxes/boxes.csv; each candidate's thumbnail-vs-full-size figures on the films "
        "whose cxr128_match names their thumbnail in --data",
    )


def run_compare(args: argparse.Namespace) -> int:
    """Score the same labelled images with several bundles; paired bootstrap of the AUROC differences."""
    from cardioview.training.classifier.data import describe_counts
    from cardioview.training.evaluation.compare import compare_bundles, format_comparison
    from cardioview.training.evaluation.evaluate_cli import samples_from_args

    if len(args.weights) < 2:
        print("error: --weights needs at least two bundles", file=sys.stderr)
        return EXIT_USAGE
    if args.ensemble:
        return _run_ensemble(args)
    try:
        samples = samples_from_args(args)
        print(f"comparing {len(args.weights)} bundles on {describe_counts(samples)}", file=sys.stderr)
        result = compare_bundles(
            args.weights,
            samples,
            args.out,
            attention=args.attention,
            attention_limit=args.attention_limit,
            bootstrap=args.bootstrap,
            overwrite=args.overwrite,
        )
    except (DataError, CardioViewError, FileExistsError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(format_comparison(result))
    print(f"comparison written to {args.out}", file=sys.stderr)
    return EXIT_OK


def _run_ensemble(args: argparse.Namespace) -> int:
    """``compare --ensemble``: the members and their ensemble on validation and test, and the decision."""
    import json

    from cardioview.training.card.card_tables import ensemble_markdown
    from cardioview.training.evaluation.ensemble import compare_ensemble

    if args.data is None:
        print("error: --ensemble needs --data (the bundles' training source), not --labels", file=sys.stderr)
        return EXIT_USAGE
    try:
        cost = None if args.cost is None else json.loads(args.cost.read_text(encoding="utf-8"))
        print(
            f"ensemble of {len(args.weights)} bundles on the split of {args.data} (seed {args.seed})", file=sys.stderr
        )
        result = compare_ensemble(
            args.weights, args.data, args.out, args.seed, args.limit, args.bootstrap, cost, args.overwrite, args.pairs
        )
    except (DataError, CardioViewError, FileExistsError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(ensemble_markdown(result))
    print(f"comparison written to {args.out}", file=sys.stderr)
    return EXIT_OK

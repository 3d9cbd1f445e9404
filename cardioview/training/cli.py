"""Arguments and entry points of ``cardioview train`` and ``cardioview evaluate``.

The lead's ``cardioview/cli.py`` adds these to its sub-commands; ``python -m
cardioview.training train|evaluate ...`` runs them directly (also under torchrun).
Exit codes: 0 ok, 2 bad usage or unusable data.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from cardioview.errors import CardioViewError, WeightsError
from cardioview.model.bundle import load_bundle, sign_bundle
from cardioview.model.network import BACKBONES, HEADS
from cardioview.model.signing import load_private_key, public_key_id
from cardioview.model.trusted_keys import TRUSTED_KEYS
from cardioview.training.classifier.config import RECIPES, SELECTION_CRITERIA, TrainConfig, paper_recipe
from cardioview.training.classifier.data import DataError

EXIT_OK, EXIT_USAGE = 0, 2
PAPER_MAX_EPOCHS = 1000


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    d = TrainConfig(data=Path("."), out=Path("."))
    p.add_argument(
        "--data", type=Path, required=True, help="folder with labels.csv (path,label) or an NIH ChestX-ray14 root"
    )
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, epochs.csv, split)")
    p.add_argument(
        "--recipe",
        choices=RECIPES,
        default="fast",
        help="fast: AdamW one-cycle over the time budget (shipped weights); paper: the paper's recipe",
    )
    p.add_argument("--backbone", choices=BACKBONES, default=d.backbone)
    p.add_argument("--head", choices=HEADS, default=d.head, help="amm (CXA model) or gap (baseline)")
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument(
        "--attention-bias", type=float, default=d.attention_bias, help="initial bias of the conv producing W"
    )
    p.add_argument(
        "--output-stride",
        type=int,
        choices=(32, 16),
        default=d.output_stride,
        help="backbone output stride: 32 (paper, 7x7 map at 224 px) or 16 (DenseNet: twice as fine a map)",
    )
    p.add_argument("--attention-penalty", type=float, default=d.attention_penalty, help="weight of mean(W) in the loss")
    p.add_argument(
        "--attention-entropy",
        type=float,
        default=d.attention_entropy,
        help="weight of W's normalised spatial entropy in the loss (concentrates W; 0 = off)",
    )
    p.add_argument(
        "--attention-tv",
        type=float,
        default=d.attention_tv,
        help="weight of W's relative total variation in the loss (smooths W; 0 = off)",
    )
    p.add_argument(
        "--attention-anatomy",
        type=float,
        default=d.attention_anatomy,
        help="weight of the BCE between W (GAP: sigmoid CAM, positive films) and the shipped segmenter's "
        "heart mask (0 = off: weakly supervised)",
    )
    p.add_argument(
        "--attention-deletion",
        type=float,
        default=d.attention_deletion,
        help="weight of the counterfactual deletion term: deleting a positive film's top-20%% W area "
        "should remove the finding, deleting that area elsewhere should not (0 = off)",
    )
    p.add_argument(
        "--init-weights",
        type=Path,
        default=None,
        help="start from these weights (bundle folder or .safetensors) instead of random initialisation",
    )
    p.add_argument(
        "--ema-decay",
        type=float,
        default=d.ema_decay,
        help="validate and save an exponential moving average of the weights (per-step decay, e.g. 0.998; 0 = off)",
    )
    p.add_argument("--input-size", type=int, default=d.input_size)
    p.add_argument(
        "--low-res-size",
        type=int,
        default=d.low_res_size,
        help="progressive resizing: first train at this size (0 = off)",
    )
    p.add_argument("--low-res-fraction", type=float, default=d.low_res_fraction)
    p.add_argument("--no-equalize", action="store_true", help="do not histogram-equalise inputs")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument(
        "--epochs", type=int, default=None, help=f"maximum epochs (default {d.epochs}; with --resume: new maximum)"
    )
    p.add_argument(
        "--max-minutes", type=float, default=None, help="time budget; stops cleanly with the best checkpoint"
    )
    p.add_argument(
        "--select-by",
        choices=SELECTION_CRITERIA,
        default=d.select_by,
        help="the checkpoint kept as best: lowest validation loss or highest validation AUROC",
    )
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    p.add_argument(
        "--hflip", type=float, default=None, help="horizontal flip probability (default 0; paper recipe 0.5)"
    )
    p.add_argument("--split", type=float, nargs=3, default=list(d.split), metavar=("TRAIN", "VAL", "TEST"))
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--limit", type=int, default=0, help="use only this many images (smoke test)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    cfg = TrainConfig(
        data=args.data,
        out=args.out,
        backbone=args.backbone,
        head=args.head,
        dropout=args.dropout,
        attention_bias=args.attention_bias,
        output_stride=args.output_stride,
        attention_penalty=args.attention_penalty,
        attention_entropy=args.attention_entropy,
        attention_tv=args.attention_tv,
        attention_anatomy=args.attention_anatomy,
        attention_deletion=args.attention_deletion,
        init_weights=str(args.init_weights or ""),
        ema_decay=args.ema_decay,
        input_size=args.input_size,
        low_res_size=args.low_res_size,
        low_res_fraction=args.low_res_fraction,
        equalize=not args.no_equalize,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        epochs=args.epochs or TrainConfig.epochs,
        max_minutes=args.max_minutes,
        select_by=args.select_by,
        label_smoothing=args.label_smoothing,
        split=tuple(args.split),
        seed=args.seed,
        limit=args.limit,
        threads=args.threads,
        device=args.device,
    )
    if args.recipe == "paper":
        # the paper trains until early stopping (patience 40) unless told otherwise
        cfg = replace(paper_recipe(cfg), epochs=args.epochs or PAPER_MAX_EPOCHS)
    if args.hflip is not None:
        cfg = replace(cfg, augment=replace(cfg.augment, hflip=args.hflip))
    return cfg


def run_train(args: argparse.Namespace) -> int:
    from cardioview.training.classifier.train import train

    try:
        if args.resume:
            cfg = TrainConfig.from_dict(json.loads((args.out / "config.json").read_text(encoding="utf-8")))
            # the run folder may have moved since; everything else comes from its config.json
            cfg = replace(
                cfg, out=args.out, max_minutes=args.max_minutes or cfg.max_minutes, epochs=args.epochs or cfg.epochs
            )
        else:
            cfg = config_from_args(args)
            if (cfg.out / "config.json").exists():
                print(f"error: {cfg.out} already holds a run; use --resume or another --out", file=sys.stderr)
                return EXIT_USAGE
        train(cfg, resume=args.resume)
    except (DataError, CardioViewError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    from cardioview.training.evaluation.evaluate_cli import add_arguments

    add_arguments(p)


def run_evaluate(args: argparse.Namespace) -> int:
    from cardioview.training.evaluation.evaluate_cli import run

    return run(args)


def add_bundle_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--run", type=Path, default=None, help="a finished training run folder (not needed with --card-only)"
    )
    p.add_argument("--out", type=Path, required=True, help="bundle folder to write (e.g. weights/cxa_dense121)")
    p.add_argument("--name", default="cxa_dense121")
    p.add_argument("--threshold-rule", choices=("youden", "max-f1"), default="youden")
    p.add_argument("--attention-limit", type=int, default=0)
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument(
        "--card-notes",
        type=Path,
        default=None,
        help="markdown whose '## Title' sections fill the model card's text (Summary, Data, Recipe, ...)",
    )
    p.add_argument(
        "--contact-sheet",
        type=Path,
        default=None,
        help="labels.csv of full-size images for contact_sheet.jpg (e.g. ../shared/data/nih1024/labels.csv)",
    )
    p.add_argument(
        "--ablation",
        type=Path,
        default=None,
        help="comparison.json (or its folder) from 'cardioview compare' for the card's ablation section",
    )
    p.add_argument(
        "--probe",
        type=Path,
        action="append",
        default=[],
        help="probe.json (or its folder) from the head probe, for the card's attention-options table; repeatable",
    )
    p.add_argument(
        "--boxes",
        type=Path,
        default=None,
        help="box table (a boxes.csv beside its films, or BBox_List_2017.csv): localisation in the manifest",
    )
    p.add_argument(
        "--signing-key",
        type=Path,
        default=None,
        metavar="KEY.pem",
        help="sign the manifest with this trusted Ed25519 private key (with --card-only: sign the bundle in --out)",
    )
    p.add_argument(
        "--card-only",
        action="store_true",
        help="keep the bundle in --out as it is; only (re)write its contact sheet and MODEL_CARD.md",
    )


def write_card(args: argparse.Namespace) -> None:
    """Contact sheet (if asked) and MODEL_CARD.md for the bundle just written."""
    from cardioview.training.card.model_card import read_notes, write_model_card

    rows = None
    if args.contact_sheet is not None:
        from cardioview.training.card.contact_sheet import contact_sheet
        from cardioview.training.classifier.data import read_labels_csv

        # positives first, so the sheet reads as two groups
        samples = sorted(read_labels_csv(args.contact_sheet), key=lambda s: (-s.label, str(s.path)))
        rows = contact_sheet(args.out, samples, args.out / "contact_sheet.jpg", overwrite=True)

    def read_json(path: Path, name: str) -> dict:
        return json.loads((path / name if path.is_dir() else path).read_text(encoding="utf-8"))

    comparison = read_json(args.ablation, "comparison.json") if args.ablation is not None else None
    probes = [read_json(p, "probe.json") for p in args.probe]
    notes = read_notes(args.card_notes) if args.card_notes is not None else {}
    write_model_card(args.out, notes, comparison=comparison, sheet_rows=rows, probes=probes)


def _signing_key(path: Path | None):
    """The private key for ``--signing-key``, checked to be one the application trusts."""
    if path is None:
        return None

    key = load_private_key(path)
    if public_key_id(key) not in TRUSTED_KEYS:
        raise WeightsError(
            f"{path}: key {public_key_id(key)} is not trusted by this application "
            "(add it with cardioview sign-bundle --public-key, see README)"
        )
    return key


def run_bundle(args: argparse.Namespace) -> int:
    """Calibrate, threshold, evaluate and export a run into a weights bundle."""
    from cardioview.training.card.bundle_writer import build_bundle

    if not args.card_only and (args.run is None or not (args.run / "best.safetensors").is_file()):
        print(f"error: --run {args.run}: no best.safetensors (not a finished run)", file=sys.stderr)
        return EXIT_USAGE
    for given in (args.card_notes, args.contact_sheet, args.ablation, args.boxes, *args.probe):
        if given is not None and not given.exists():
            print(f"error: {given}: not found", file=sys.stderr)
            return EXIT_USAGE
    try:
        key = _signing_key(args.signing_key)  # before the long build: a bad key fails fast
        if args.card_only:
            bundle = sign_bundle(args.out, key) if key is not None else load_bundle(args.out)
            manifest = bundle.manifest  # loading verified the manifest (and its signature)
        else:
            manifest = build_bundle(
                args.run,
                args.out,
                args.name,
                args.threshold_rule,
                args.attention_limit,
                args.bootstrap,
                boxes=args.boxes,
                signing_key=key,
            )
        write_card(args)
    except (DataError, CardioViewError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ev = manifest.get("evaluation", {})
    if ev:
        from cardioview.training.evaluation.evaluate import format_table

        print(format_table(ev))
    print(f"bundle written to {args.out}", file=sys.stderr)
    return EXIT_OK


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


def run_compare(args: argparse.Namespace) -> int:
    """Score the same labelled images with several bundles; paired bootstrap of the AUROC differences."""
    from cardioview.training.classifier.data import describe_counts
    from cardioview.training.evaluation.compare import compare_bundles, format_comparison
    from cardioview.training.evaluation.evaluate_cli import samples_from_args

    if len(args.weights) < 2:
        print("error: --weights needs at least two bundles", file=sys.stderr)
        return EXIT_USAGE
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


def add_refit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--bundle", type=Path, required=True, help="the bundle to refit in place (e.g. weights/cxa_dense121)"
    )
    p.add_argument("--data", type=Path, required=True, help="the bundle's training source (labels.csv folder)")
    p.add_argument("--seed", type=int, default=0, help="the split seed of the bundle's training run")
    p.add_argument(
        "--boxes",
        type=Path,
        default=None,
        help="nih-boxes/boxes.csv: localisation, pair and per-view figures on those films",
    )
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--signing-key", type=Path, default=None, metavar="KEY.pem", help="sign the new manifest")


def run_refit(args: argparse.Namespace) -> int:
    """Refit a bundle's preprocessing (version 2), calibration and threshold on validation (no retraining)."""
    from cardioview.training.classifier.refit import refit_bundle
    from cardioview.training.evaluation.evaluate import format_table

    try:
        key = _signing_key(args.signing_key)
        manifest = refit_bundle(args.bundle, args.data, args.boxes, args.seed, key, args.bootstrap)
    except (DataError, CardioViewError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(format_table(manifest["evaluation"]))
    print(
        f"bundle refitted in {args.bundle}; re-render its card with: bundle --out {args.bundle} --card-only",
        file=sys.stderr,
    )
    return EXIT_OK


COMMANDS = {
    "train": (add_train_arguments, run_train),
    "evaluate": (add_evaluate_arguments, run_evaluate),
    "bundle": (add_bundle_arguments, run_bundle),
    "compare": (add_compare_arguments, run_compare),
    "refit": (add_refit_arguments, run_refit),
}


def add_training_arguments(p: argparse.ArgumentParser, command: str) -> None:
    """Declare the options of ``command`` (train, evaluate, bundle, compare or refit) on its parser ``p``."""
    COMMANDS[command][0](p)


def main(argv: list[str] | None = None) -> int:
    """``python -m cardioview.training {train,evaluate,bundle,compare,refit} ...``."""
    parser = argparse.ArgumentParser(prog="python -m cardioview.training")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add, _) in COMMANDS.items():
        add(sub.add_parser(name, help=(COMMANDS[name][1].__doc__ or name).splitlines()[0]))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)

"""Arguments and entry points of ``cardioview train`` and ``cardioview evaluate``.

The lead's ``cardioview/cli.py`` adds these to its sub-commands; ``python -m
cardioview.training train|evaluate ...`` runs them directly (also under torchrun).
Exit codes: 0 ok, 2 bad usage or unusable data.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from cardioview.errors import CardioViewError
from cardioview.model.network import BACKBONES, HEADS
from cardioview.training.config import RECIPES, TrainConfig, paper_recipe
from cardioview.training.data import DataError

EXIT_OK, EXIT_USAGE = 0, 2
PAPER_MAX_EPOCHS = 1000


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    d = TrainConfig(data=Path("."), out=Path("."))
    p.add_argument("--data", type=Path, required=True,
                   help="folder with labels.csv (path,label) or an NIH ChestX-ray14 root")
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, epochs.csv, split)")
    p.add_argument("--recipe", choices=RECIPES, default="fast",
                   help="fast: AdamW one-cycle over the time budget (shipped weights); paper: the paper's recipe")
    p.add_argument("--backbone", choices=BACKBONES, default=d.backbone)
    p.add_argument("--head", choices=HEADS, default=d.head, help="amm (CXA model) or gap (baseline)")
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--attention-bias", type=float, default=d.attention_bias, help="initial bias of the conv producing W")
    p.add_argument("--attention-penalty", type=float, default=d.attention_penalty, help="weight of mean(W) in the loss")
    p.add_argument("--input-size", type=int, default=d.input_size)
    p.add_argument("--low-res-size", type=int, default=d.low_res_size, help="progressive resizing: first train at this size (0 = off)")
    p.add_argument("--low-res-fraction", type=float, default=d.low_res_fraction)
    p.add_argument("--no-equalize", action="store_true", help="do not histogram-equalise inputs")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--epochs", type=int, default=None, help=f"maximum epochs (default {d.epochs}; with --resume: new maximum)")
    p.add_argument("--max-minutes", type=float, default=None, help="time budget; stops cleanly with the best checkpoint")
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    p.add_argument("--hflip", type=float, default=None, help="horizontal flip probability (default 0; paper recipe 0.5)")
    p.add_argument("--split", type=float, nargs=3, default=list(d.split), metavar=("TRAIN", "VAL", "TEST"))
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--limit", type=int, default=0, help="use only this many images (smoke test)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    cfg = TrainConfig(
        data=args.data, out=args.out, backbone=args.backbone, head=args.head, dropout=args.dropout,
        attention_bias=args.attention_bias, attention_penalty=args.attention_penalty,
        input_size=args.input_size, low_res_size=args.low_res_size, low_res_fraction=args.low_res_fraction,
        equalize=not args.no_equalize, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
        epochs=args.epochs or TrainConfig.epochs, max_minutes=args.max_minutes, label_smoothing=args.label_smoothing,
        split=tuple(args.split), seed=args.seed, limit=args.limit, threads=args.threads, device=args.device,
    )
    if args.recipe == "paper":
        # the paper trains until early stopping (patience 40) unless told otherwise
        cfg = replace(paper_recipe(cfg), epochs=args.epochs or PAPER_MAX_EPOCHS)
    if args.hflip is not None:
        cfg = replace(cfg, augment=replace(cfg.augment, hflip=args.hflip))
    return cfg


def run_train(args: argparse.Namespace) -> int:
    from cardioview.training.train import train

    try:
        if args.resume:
            import json

            cfg = TrainConfig.from_dict(json.loads((args.out / "config.json").read_text(encoding="utf-8")))
            # the run folder may have moved since; everything else comes from its config.json
            cfg = replace(cfg, out=args.out, max_minutes=args.max_minutes or cfg.max_minutes,
                          epochs=args.epochs or cfg.epochs)
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
    from cardioview.training.evaluate_cli import add_arguments

    add_arguments(p)


def run_evaluate(args: argparse.Namespace) -> int:
    from cardioview.training.evaluate_cli import run

    return run(args)


def add_bundle_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", type=Path, required=True, help="a finished training run folder")
    p.add_argument("--out", type=Path, required=True, help="bundle folder to write (e.g. weights/cxa_dense121)")
    p.add_argument("--name", default="cxa_dense121")
    p.add_argument("--threshold-rule", choices=("youden", "max-f1"), default="youden")
    p.add_argument("--attention-limit", type=int, default=0)
    p.add_argument("--bootstrap", type=int, default=2000)


def run_bundle(args: argparse.Namespace) -> int:
    """Calibrate, threshold, evaluate and export a run into a weights bundle."""
    from cardioview.training.bundle_writer import build_bundle

    if not (args.run / "best.safetensors").is_file():
        print(f"error: {args.run}: no best.safetensors (not a finished run)", file=sys.stderr)
        return EXIT_USAGE
    try:
        manifest = build_bundle(args.run, args.out, args.name, args.threshold_rule, args.attention_limit, args.bootstrap)
    except (DataError, CardioViewError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ev = manifest.get("evaluation", {})
    if ev:
        from cardioview.training.evaluate import format_table

        print(format_table(ev))
    print(f"bundle written to {args.out}", file=sys.stderr)
    return EXIT_OK


COMMANDS = {"train": (add_train_arguments, run_train), "evaluate": (add_evaluate_arguments, run_evaluate),
            "bundle": (add_bundle_arguments, run_bundle)}


def main(argv: list[str] | None = None) -> int:
    """``python -m cardioview.training {train,evaluate,bundle} ...``."""
    parser = argparse.ArgumentParser(prog="python -m cardioview.training")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add, _) in COMMANDS.items():
        add(sub.add_parser(name, help=(COMMANDS[name][1].__doc__ or name).splitlines()[0]))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)

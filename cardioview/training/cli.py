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
from cardioview.training.augment import AugmentConfig
from cardioview.training.config import RECIPES, TrainConfig, paper_recipe
from cardioview.training.data import DataError

EXIT_OK, EXIT_USAGE = 0, 2


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
    p.add_argument("--epochs", type=int, default=d.epochs, help="maximum epochs")
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
        epochs=args.epochs, max_minutes=args.max_minutes, label_smoothing=args.label_smoothing,
        split=tuple(args.split), seed=args.seed, limit=args.limit, threads=args.threads, device=args.device,
    )
    if args.recipe == "paper":
        cfg = paper_recipe(cfg)
    if args.hflip is not None:
        cfg = replace(cfg, augment=replace(cfg.augment, hflip=args.hflip))
    return cfg


def run_train(args: argparse.Namespace) -> int:
    from cardioview.training.train import train

    try:
        if args.resume:
            import json

            cfg = TrainConfig.from_dict(json.loads((args.out / "config.json").read_text(encoding="utf-8")))
            cfg = replace(cfg, max_minutes=args.max_minutes or cfg.max_minutes)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cardioview.training")
    sub = parser.add_subparsers(dest="command", required=True)
    add_train_arguments(sub.add_parser("train", help="train a network"))
    add_evaluate_arguments(sub.add_parser("evaluate", help="evaluate a weights bundle"))
    args = parser.parse_args(argv)
    return run_train(args) if args.command == "train" else run_evaluate(args)

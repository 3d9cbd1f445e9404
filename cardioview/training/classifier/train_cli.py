"""``cardioview train``: arguments and entry point (see :mod:`cardioview.training.classifier.train`).

Registered in :mod:`cardioview.training.cli`. Exit codes: 0 ok, 2 bad usage or unusable data.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from cardioview.errors import CardioViewError
from cardioview.model.network import BACKBONES, HEADS
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

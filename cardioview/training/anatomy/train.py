"""Train the heart/lung U-Net: ``cardioview train-anatomy --data DIR --out RUN``.

Time-budgeted (warm-up + cosine over ``--max-minutes``), resumable from the run
folder's ``last.pt`` (tensors only, read with weights_only=True), best epoch by
validation Dice kept as ``best.safetensors``. Writes ``split.json``, ``config.json``
and ``epochs.csv`` into the run.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.model.segmenter import build_segmenter, count_parameters
from cardioview.training.anatomy.augment import AnatomyAugment, augment_batch
from cardioview.training.anatomy.data import load_arrays, scan, split


@dataclass
class AnatomyConfig:
    data: str
    out: str
    # the shipped segmenter's size (2026-12-02): base 16 at 192 px scored the same Dice at nine times
    # the compute, and only this small does the CTR cost less than half the classifier's time
    input_size: int = 128
    base: int = 8
    depth: int = 4
    batch_size: int = 8
    lr: float = 3e-3
    weight_decay: float = 1e-4
    max_minutes: float = 45.0
    max_epochs: int = 1000
    warmup_fraction: float = 0.03
    seed: int = 12
    threads: int = 1
    limit: int = 0
    augment: dict = field(default_factory=lambda: AnatomyAugment().to_dict())

    @property
    def spec(self) -> PreprocessSpec:
        return PreprocessSpec(input_size=self.input_size, equalize=True, channels=1)


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(logits)
    inter = (p * target).sum((2, 3))
    return (1 - (2 * inter + 1) / (p.sum((2, 3)) + target.sum((2, 3)) + 1)).mean()


def dice_scores(logits: torch.Tensor, target: torch.Tensor) -> np.ndarray:
    """Hard Dice per image and channel, (N, C)."""
    p = logits > 0
    t = target >= 0.5
    inter = (p & t).sum((2, 3)).double()
    return (2 * inter / (p.sum((2, 3)) + t.sum((2, 3))).clamp(min=1)).numpy()


def lr_at(cfg: AnatomyConfig, frac: float) -> float:
    if frac < cfg.warmup_fraction:
        return cfg.lr * max(frac / cfg.warmup_fraction, 0.02)
    t = min(1.0, (frac - cfg.warmup_fraction) / (1 - cfg.warmup_fraction))
    return cfg.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))


def _evaluate(model, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), 16):
            xb = x[i : i + 16].contiguous(memory_format=torch.channels_last)
            out.append(dice_scores(model(xb), y[i : i + 16]))
    model.train()
    return np.concatenate(out)


def structure_dice(d: np.ndarray) -> dict:
    """Mean Dice of heart and of lungs (both lungs' channels averaged)."""
    return {"heart": float(d[:, 0].mean()), "lungs": float(d[:, 1:].mean())}


def train(cfg: AnatomyConfig, resume: bool = False, log=print) -> Path:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    items = scan(Path(cfg.data))
    split_path = out / "split.json"
    if resume and split_path.is_file():
        parts = json.loads(split_path.read_text())
        cfg = AnatomyConfig(
            **{
                **json.loads((out / "config.json").read_text()),
                "max_minutes": cfg.max_minutes,
                "max_epochs": cfg.max_epochs,
            }
        )  # a new budget
    else:
        parts = split(items, cfg.seed)
        split_path.write_text(json.dumps(parts, indent=1))
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))
    by_key = {it.key: it for it in items}
    train_items = [by_key[k] for k in parts["train"]]
    val_items = [by_key[k] for k in parts["val"]]
    if cfg.limit:
        train_items, val_items = train_items[: cfg.limit], val_items[: max(2, cfg.limit // 4)]
    log(f"loading {len(train_items)} train + {len(val_items)} val images at {cfg.input_size} px")
    xt, yt = (torch.from_numpy(a) for a in load_arrays(train_items, cfg.spec))
    xv, yv = (torch.from_numpy(a) for a in load_arrays(val_items, cfg.spec))
    xt, xv = xt[:, None], xv[:, None]

    model = build_segmenter({"base": cfg.base, "depth": cfg.depth}).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state = {"epoch": 0, "elapsed": 0.0, "best": -1.0}
    last = out / "last.pt"
    if resume and last.is_file():
        ck = torch.load(last, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optim"])
        state = {k: float(ck[k]) for k in ("epoch", "elapsed", "best")}
        log(f"resumed at epoch {int(state['epoch'])}, {state['elapsed'] / 60:.1f} min done")
    log(
        f"U-Net base {cfg.base} depth {cfg.depth}: {count_parameters(model):,} parameters; budget {cfg.max_minutes} min"
    )
    aug = AnatomyAugment(**cfg.augment)
    gen = torch.Generator().manual_seed(cfg.seed + int(state["epoch"]))
    budget = cfg.max_minutes * 60
    epochs_csv = out / "epochs.csv"
    new_log = not epochs_csv.is_file()
    with epochs_csv.open("a", newline="") as f:
        w = csv.writer(f)
        if new_log:
            w.writerow(["epoch", "minutes", "lr", "loss", "val_heart_dice", "val_lungs_dice", "img_per_s"])
        while state["elapsed"] < budget and state["epoch"] < cfg.max_epochs:
            t0 = time.monotonic()
            order = torch.randperm(len(xt), generator=gen)
            losses = []
            for i in range(0, len(order) - cfg.batch_size + 1, cfg.batch_size):
                frac = (state["elapsed"] + time.monotonic() - t0) / budget
                for g in opt.param_groups:
                    g["lr"] = lr_at(cfg, frac)
                idx = order[i : i + cfg.batch_size]
                xb, yb = augment_batch(xt[idx], yt[idx], aug, gen)
                logits = model(xb.contiguous(memory_format=torch.channels_last))
                loss = F.binary_cross_entropy_with_logits(logits, yb) + dice_loss(logits, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                losses.append(float(loss.detach()))
            train_s = time.monotonic() - t0
            d = structure_dice(_evaluate(model, xv, yv))
            state["epoch"] += 1
            state["elapsed"] += time.monotonic() - t0
            score = (d["heart"] + d["lungs"]) / 2
            if score > state["best"]:
                state["best"] = score
                save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / "best.safetensors"))
                (out / "best.json").write_text(json.dumps({"epoch": int(state["epoch"]), **d}))
            rate = len(losses) * cfg.batch_size / max(train_s, 1e-6)
            w.writerow(
                [
                    int(state["epoch"]),
                    f"{state['elapsed'] / 60:.2f}",
                    f"{opt.param_groups[0]['lr']:.2e}",
                    f"{np.mean(losses):.4f}",
                    f"{d['heart']:.4f}",
                    f"{d['lungs']:.4f}",
                    f"{rate:.2f}",
                ]
            )
            f.flush()
            torch.save(
                {
                    "model": model.state_dict(),
                    "optim": opt.state_dict(),
                    **{k: torch.tensor(v) for k, v in state.items()},
                },
                str(last) + ".tmp",
            )
            Path(str(last) + ".tmp").replace(last)
            log(
                f"epoch {int(state['epoch'])} {state['elapsed'] / 60:.1f}/{cfg.max_minutes:.0f} min loss "
                f"{np.mean(losses):.4f} "
                f"val Dice heart {d['heart']:.4f} lungs {d['lungs']:.4f} ({rate:.1f} img/s)",
            )
    log(f"done: best val {json.loads((out / 'best.json').read_text())}")
    return out

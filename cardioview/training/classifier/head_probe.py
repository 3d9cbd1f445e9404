"""Attention-option probe: retrain only the AMM head on the frozen backbone of a finished run.

A full training per attention option costs hours on a CPU; with the backbone
frozen, its features are computed once and each option (an attention bias, the
mean-W penalty, the entropy or total-variation terms) retrains only the head in
minutes. Every variant starts from the same seed and data, and is measured the
same way as a shipped bundle: validation and test AUROC, and the attention
figures of :mod:`cardioview.training.evaluation.attention_metrics` (spread, mass ratio,
pointing, deletion-test faithfulness) on the test split's cardiomegaly images.

What it answers: given these features, does the option move W onto the heart?
What it does not: whether training the backbone with the option would do better.

    python -m cardioview.training.classifier.head_probe --run runs/NAME --out runs/probe \\
        --variant base: --variant entropy=attention_entropy:0.3 --variant tv=attention_tv:0.3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save

from cardioview.atomic import atomic_write_bytes, atomic_write_text
from cardioview.model.amm import AttentionMappingHead
from cardioview.model.bundle import sha256_file
from cardioview.model.checkpoint import load_tensors_into, save_tensors
from cardioview.model.network import build_network, glorot_init_
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.loss import loss_terms
from cardioview.training.classifier.run_network import network_config
from cardioview.training.classifier.run_split import read_split
from cardioview.training.evaluation.attention_metrics import (
    attention_figures,
    mass_ratio,
    points_inside,
    region_mask,
    upsample,
)
from cardioview.training.evaluation.evaluate import probability_fn
from cardioview.training.evaluation.metrics import auroc
from cardioview.training.evaluation.scoring import load_input

#: TrainConfig fields a variant may set.
OPTIONS = ("attention_bias", "attention_penalty", "attention_entropy", "attention_tv")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_variant(text: str) -> tuple[str, dict[str, float]]:
    """'name=option:value,option:value' (or 'name:' for no change) -> (name, {option: value})."""
    name, _, rest = text.partition("=") if "=" in text else (text.rstrip(":"), "", "")
    options = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition(":")
        if key not in OPTIONS:
            raise ValueError(f"variant {name!r}: unknown option {key!r}; choose from {', '.join(OPTIONS)}")
        options[key] = float(value)
    return name, options


@torch.no_grad()
def backbone_features(
    backbone: torch.nn.Module, grays: list[np.ndarray], channels: int, batch: int = 32
) -> torch.Tensor:
    """Frozen backbone features (N, C, h, w) of preprocessed inputs, in eval mode."""
    backbone.eval()
    out = []
    for i in range(0, len(grays), batch):
        x = torch.from_numpy(np.stack(grays[i : i + batch])).unsqueeze(1).expand(-1, channels, -1, -1)
        out.append(backbone(x.contiguous()))
    return torch.cat(out)


def train_head(
    head: AttentionMappingHead,
    cfg: TrainConfig,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    epochs: int,
    lr: float,
    batch: int = 64,
    seed: int = 0,
) -> tuple[AttentionMappingHead, list[dict]]:
    """AdamW with a cosine schedule on cached features; keeps the lowest-validation-loss epoch."""
    generator = torch.Generator().manual_seed(seed)
    params = [p for p in head.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=cfg.weight_decay)
    steps = epochs * max(1, len(train[1]) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    ones = torch.ones(batch)
    best, best_loss, history = None, float("inf"), []
    for epoch in range(1, epochs + 1):
        head.train()
        perm = torch.randperm(len(train[1]), generator=generator)
        for b in range(len(perm) // batch):
            idx = perm[b * batch : (b + 1) * batch]
            logit, w = head(train[0][idx].float())
            _, total = loss_terms(logit, w, train[1][idx], ones[: len(idx)], cfg)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            schedule.step()
        head.eval()
        with torch.no_grad():
            logit, _ = head(val[0].float())
            val_loss = torch.nn.functional.binary_cross_entropy_with_logits(logit.view(-1), val[1]).item()
        history.append(
            {"epoch": epoch, "val_loss": val_loss, "val_auroc": auroc(val[1].numpy(), logit.view(-1).numpy())}
        )
        if val_loss < best_loss:
            best_loss, best = val_loss, {k: v.clone() for k, v in head.state_dict().items()}
    head.load_state_dict(best)
    return head.eval(), history


FEATURE_CACHE = "features.safetensors"


def _feature_cache(out: Path, digest: str) -> dict[str, torch.Tensor]:
    """Backbone features saved by an earlier probe of the same checkpoint (fp16), else {}."""
    path = out / FEATURE_CACHE
    if not path.is_file():
        return {}
    with safe_open(str(path), framework="pt") as f:
        if (f.metadata() or {}).get("checkpoint_sha256") != digest:
            return {}
        return {k: f.get_tensor(k) for k in f.keys()}


def _save_feature_cache(out: Path, digest: str, cache: dict[str, torch.Tensor]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(
        out / FEATURE_CACHE,
        save({k: v.contiguous() for k, v in cache.items()}, metadata={"checkpoint_sha256": digest}),
        overwrite=True,
    )


def map_figures(maps: np.ndarray, size: int) -> dict:
    """Mass ratio (median) and pointing rate of attention maps alone (no deletion test): cheap enough for validation."""
    mask = region_mask((size, size))
    ups = [upsample(w, (size, size)) for w in maps]
    return {
        "images": len(ups),
        "mass_ratio_median": float(np.median([mass_ratio(u, mask) for u in ups])),
        "pointing_rate": float(np.mean([points_inside(u, mask) for u in ups])),
    }


def probe(
    run: Path,
    out: Path,
    variants: list[tuple[str, dict]],
    epochs: int = 30,
    lr: float = 1e-3,
    attention_limit: int = 100,
    seed: int = 0,
) -> list[dict]:
    """Retrain the head once per variant and measure it; returns the rows of out/probe.json.

    Also writes, per variant, head_NAME.safetensors and test_attention_NAME.npy
    (W of every test image, in test.csv order), and keeps the backbone features in
    features.safetensors (fp16, tied to the checkpoint's hash) for the next probe.
    """
    run, out = Path(run), Path(out)
    base_cfg = TrainConfig.from_dict(json.loads((run / "config.json").read_text(encoding="utf-8")))
    if base_cfg.head != "amm":
        raise ValueError(f"{run}: the probe retrains an AMM head; this run has a {base_cfg.head} head")
    net = build_network(network_config(base_cfg), init=False)
    load_tensors_into(net, run / "best.safetensors")
    net.eval()
    spec = PreprocessSpec(input_size=base_cfg.input_size, equalize=base_cfg.equalize, channels=3)
    split = read_split(run)
    t0 = time.monotonic()
    data = {}
    digest = sha256_file(run / "best.safetensors")  # ties the feature cache to this checkpoint
    cache = _feature_cache(out, digest)
    for part in ("train", "val", "test"):
        samples = getattr(split, part)
        labels = torch.tensor([float(s.label) for s in samples])
        # only the test images are needed again (deletion test); the rest is not kept
        grays = [load_input(s.path, spec) for s in samples] if part == "test" or part not in cache else None
        if part not in cache:
            cache[part] = backbone_features(net.backbone, grays, spec.channels).half()
            _save_feature_cache(out, digest, cache)
        data[part] = (cache[part], labels, grays, samples)
        _log(f"features of {len(samples)} {part} images ({(time.monotonic() - t0) / 60:.1f} min)")
    positives = [i for i, s in enumerate(data["test"][3]) if s.label == 1][: attention_limit or None]

    rows = []
    for name, options in variants:
        cfg = replace(base_cfg, **options)
        torch.manual_seed(seed)
        head = AttentionMappingHead(data["train"][0].shape[1], cfg.dropout, cfg.attention_bias)
        glorot_init_(head, cfg.attention_bias)
        head, history = train_head(head, cfg, data["train"][:2], data["val"][:2], epochs, lr, seed=seed)
        net.head = head
        with torch.no_grad():
            val_logit, val_w = head(data["val"][0].float())
            test_logit, test_w = head(data["test"][0].float())
        grays = [data["test"][2][i] for i in positives]
        figures = attention_figures(grays, test_w[positives, 0].numpy(), probability_fn(net, 1.0), seed=seed)
        row = {
            "variant": name,
            "options": {k: getattr(cfg, k) for k in OPTIONS},
            "epochs": epochs,
            "best_epoch": min(history, key=lambda h: h["val_loss"])["epoch"],
            "val_auroc": auroc(data["val"][1].numpy(), val_logit.view(-1).numpy()),
            "test_auroc": auroc(data["test"][1].numpy(), test_logit.view(-1).numpy()),
            # for choosing among variants without looking at the test split
            "val_attention": map_figures(val_w[data["val"][1] > 0.5, 0].numpy(), spec.input_size),
            "attention": {
                k: figures[k] for k in ("images", "relative_spread", "mass_ratio", "pointing_rate", "faithfulness_rate")
            },
            "w_median_max": float(np.median(test_w[positives, 0].flatten(1).max(1).values.numpy())),
        }
        rows.append(row)
        out.mkdir(parents=True, exist_ok=True)
        # the head and its test maps, to look at where W went (heads are small: about 1 MB each)
        save_tensors(head, out / f"head_{name}.safetensors")
        np.save(out / f"test_attention_{name}.npy", test_w[:, 0].numpy().astype(np.float32))
        a = row["attention"]
        _log(
            f"{name}: val AUROC {row['val_auroc']:.3f} test {row['test_auroc']:.3f} | spread "
            f"{a['relative_spread']['median']:.2f} mass {a['mass_ratio']['median']:.2f} pointing "
            f"{a['pointing_rate']:.2f} faithful {a['faithfulness_rate']:.2f} ({(time.monotonic() - t0) / 60:.1f} min)"
        )
        atomic_write_text(
            out / "probe.json",
            json.dumps({"run": str(run), "epochs": epochs, "lr": lr, "rows": rows}, indent=1) + "\n",
            overwrite=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m cardioview.training.classifier.head_probe", description=__doc__.splitlines()[0]
    )
    p.add_argument("--run", type=Path, required=True, help="a finished AMM training run")
    p.add_argument("--out", type=Path, required=True, help="folder for probe.json")
    p.add_argument(
        "--variant",
        action="append",
        required=True,
        help="name=option:value,... with options " + ", ".join(OPTIONS) + "; 'base:' for none",
    )
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--attention-limit", type=int, default=100, help="test cardiomegaly images for the figures (0 = all)"
    )
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        variants = [parse_variant(v) for v in args.variant]
        probe(args.run, args.out, variants, args.epochs, args.lr, args.attention_limit)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

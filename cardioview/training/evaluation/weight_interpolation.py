"""Validation AUROC of weights interpolated between two checkpoints of one architecture.

``python -m cardioview.training.evaluation.weight_interpolation --run RUN --from A --to B [--alphas 0 0.5 1]``

Scores (1 - a) x A + a x B for each ``a`` on the run's validation split (``--part test`` only
for a figure that no choice depends on): the WiSE-FT check between a model and its fine-tune,
or a two-model weight soup. A and B are bundle folders (hash-verified) or .safetensors files,
including a run's last_ema.safetensors (the weight average's ``module.`` prefix is dropped). BatchNorm
statistics are interpolated like the weights; integer buffers come from A.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from cardioview.errors import CardioViewError
from cardioview.model.checkpoint import load_state_into, read_tensors
from cardioview.model.network import build_network
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.data import labels_tensor, prepare_images
from cardioview.training.classifier.run_network import initial_weights, network_config, predict_logits, preprocess_spec
from cardioview.training.classifier.run_split import read_split
from cardioview.training.classifier.runtime import init_runtime
from cardioview.training.evaluation.metrics import auroc


def read_weights(path: Path, run_config: TrainConfig) -> dict[str, torch.Tensor]:
    """The tensors of a bundle (hash-verified against the run's architecture) or a .safetensors file."""
    tensors = read_tensors(initial_weights(Path(path), network_config(run_config)))
    return {k.removeprefix("module."): v for k, v in tensors.items() if k != "n_averaged"}


def interpolate(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """(1 - alpha) a + alpha b for floating tensors; A's value for integer buffers (BN step counts)."""
    if set(a) != set(b):
        raise CardioViewError(f"the two checkpoints hold different tensors ({len(set(a) ^ set(b))} differ)")
    return {k: (a[k].float() * (1 - alpha) + b[k].float() * alpha) if a[k].is_floating_point() else a[k] for k in a}


def interpolation_aurocs(
    run: Path, start: Path, end: Path, alphas: list[float], part: str = "val", limit: int = 0
) -> list[dict]:
    """One {alpha, auroc, loss} per alpha on the run's ``part`` split (first ``limit`` images if > 0)."""
    cfg = TrainConfig.from_dict(json.loads((Path(run) / "config.json").read_text(encoding="utf-8")))
    samples = getattr(read_split(Path(run)), part)
    if limit:
        samples = samples[:limit]
    images, labels = prepare_images(samples, preprocess_spec(cfg), cfg.input_size), labels_tensor(samples)
    a, b = read_weights(start, cfg), read_weights(end, cfg)
    runtime = init_runtime()
    net = build_network(network_config(cfg)).to(runtime.device)
    rows = []
    for alpha in alphas:
        load_state_into(net, interpolate(a, b, alpha), f"{Path(start).name} -> {Path(end).name} at {alpha:g}")
        logits, _ = predict_logits(net, images, cfg.input_size, runtime)
        rows.append(
            {
                "alpha": alpha,
                "auroc": auroc(labels.numpy(), torch.sigmoid(logits).numpy()),
                "loss": F.binary_cross_entropy_with_logits(logits, labels).item(),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m cardioview.training.evaluation.weight_interpolation", description=__doc__.split("\n")[0]
    )
    p.add_argument("--run", type=Path, required=True, help="a run folder (config.json and its split)")
    p.add_argument("--from", dest="start", type=Path, required=True, help="weights at alpha 0 (bundle or .safetensors)")
    p.add_argument("--to", dest="end", type=Path, required=True, help="weights at alpha 1")
    p.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    p.add_argument("--part", choices=("val", "test"), default="val")
    p.add_argument("--limit", type=int, default=0, help="first N images of the split only")
    args = p.parse_args(argv)
    try:
        rows = interpolation_aurocs(args.run, args.start, args.end, args.alphas, args.part, args.limit)
    except (CardioViewError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for r in rows:
        print(f"{args.part} alpha {r['alpha']:.2f}: AUROC {r['auroc']:.4f}, loss {r['loss']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

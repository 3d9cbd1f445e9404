"""Run folder files: resumable checkpoints (safetensors + JSON, no pickle) and the per-epoch CSV.

RUN/config.json           the TrainConfig
RUN/train.csv|val.csv|test.csv   the split
RUN/best.safetensors      lowest validation loss so far (fp32)
RUN/last.safetensors      model at the end of the last epoch
RUN/last_optimizer.safetensors   optimizer tensors + the augmentation RNG state
RUN/state.json            epoch, elapsed seconds, best loss, optimizer scalars, scheduler
RUN/epochs.csv            one row per epoch
RUN/last_ema.safetensors  the weight average after the last epoch (--ema-decay; train.py)
RUN/heart_masks.safetensors   segmenter heart masks of the training images (--attention-anatomy)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from cardioview.atomic import atomic_write_text
from cardioview.model.checkpoint import load_tensors_into, save_tensors

EPOCH_COLUMNS = (
    "epoch",
    "train_size",
    "train_loss",
    "attention_mean",
    "val_size",
    "val_loss",
    "val_auroc",
    "lr",
    "images_per_s",
    "elapsed_s",
    "best",
    "deletion_loss",
)


def save_training_state(
    out: Path, net: torch.nn.Module, optimizer: torch.optim.Optimizer, generator: torch.Generator, state: dict
) -> None:
    """Write last.safetensors, last_optimizer.safetensors and state.json (state last, so it names complete files)."""
    out = Path(out)
    save_tensors(net, out / "last.safetensors")
    tensors, scalars = {}, {"param_groups": optimizer.state_dict()["param_groups"], "state": {}}
    for pid, entry in optimizer.state_dict()["state"].items():
        for key, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"{pid}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars["state"].setdefault(str(pid), {})[key] = value
    tensors["generator_state"] = generator.get_state()
    tmp = out / ".last_optimizer.safetensors.tmp"
    save_file(tensors, str(tmp))
    tmp.replace(out / "last_optimizer.safetensors")
    atomic_write_text(out / "state.json", json.dumps({**state, "optimizer": scalars}, indent=1), overwrite=True)


def load_training_state(
    out: Path, net: torch.nn.Module, optimizer: torch.optim.Optimizer, generator: torch.Generator
) -> dict:
    """Restore what :func:`save_training_state` wrote; returns the state dict."""
    out = Path(out)
    state = json.loads((out / "state.json").read_text(encoding="utf-8"))
    load_tensors_into(net, out / "last.safetensors")
    tensors = load_file(str(out / "last_optimizer.safetensors"))
    generator.set_state(tensors.pop("generator_state"))
    scalars = state.pop("optimizer")
    opt_state: dict = {}
    for key, value in tensors.items():
        pid, name = key.split(".", 1)
        opt_state.setdefault(int(pid), {})[name] = value
    for pid, entry in scalars["state"].items():
        opt_state.setdefault(int(pid), {}).update(entry)
    optimizer.load_state_dict({"state": opt_state, "param_groups": scalars["param_groups"]})
    return state


def append_epoch_row(out: Path, row: dict) -> None:
    """Append one row to RUN/epochs.csv (header on first write). Rewritten atomically each time."""
    path = Path(out) / "epochs.csv"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    buf = io.StringIO()
    # a run resumed under a newer version keeps its file's columns, so rows stay aligned with the header
    columns = old.splitlines()[0].split(",") if old else EPOCH_COLUMNS
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    if not old:
        w.writeheader()
    w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic_write_text(path, old + buf.getvalue(), overwrite=True)

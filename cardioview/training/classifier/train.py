"""The training loop: one call from a TrainConfig to a run folder with the best checkpoint.

>>> result = train(TrainConfig(data=Path("../shared/data/cxr128"), out=Path("runs/x"), max_minutes=60))
>>> result.best_checkpoint          # runs/x/best.safetensors (lowest validation loss at input_size)

Works single-process or under torchrun (DistributedDataParallel, one shard of
every epoch per process; rank 0 validates, saves and decides when to stop).
The run's network comes from run_network, its loss from loss, its LR schedule and
checkpoint choice from schedule.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cardioview.atomic import atomic_write_text
from cardioview.model.checkpoint import load_tensors_into, save_tensors
from cardioview.model.network import build_network
from cardioview.training.classifier.augment import augment_with_maps, to_network_input
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.data import describe_counts, labels_tensor, prepare_images
from cardioview.training.classifier.heart_prior import load_or_compute_heart_masks
from cardioview.training.classifier.loss import deletion_backward, loss_terms, sample_weights
from cardioview.training.classifier.run_network import initial_weights, network_config, predict_logits, preprocess_spec
from cardioview.training.classifier.run_split import read_split, split_data, write_split
from cardioview.training.classifier.run_state import append_epoch_row, load_training_state, save_training_state
from cardioview.training.classifier.runtime import Runtime, broadcast_floats, init_runtime, shutdown
from cardioview.training.classifier.schedule import after_validation, onecycle_lr
from cardioview.training.evaluation.metrics import auroc

#: The weight average (``--ema-decay``) after the last epoch, for resuming.
LAST_EMA = "last_ema.safetensors"


@dataclass
class TrainResult:
    out: Path
    best_checkpoint: Path
    best_epoch: int
    best_val_loss: float
    epochs: int
    elapsed_s: float
    stopped_by: str


class _Log:
    """Progress lines on rank 0: a tqdm bar on a terminal, a line per ~30 s otherwise (nohup logs)."""

    def __init__(self, runtime: Runtime):
        self.on = runtime.is_main
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, msg: str, every: float = 0.0) -> None:
        now = time.monotonic()
        if self.on and (every == 0.0 or now - self.last >= every):
            self.last = now
            print(msg, file=sys.stderr, flush=True)


def train(cfg: TrainConfig, resume: bool = False) -> TrainResult:
    """Train per ``cfg`` into ``cfg.out``; with ``resume`` continue from the run folder's last state.

    Raises:
        DataError: unusable data folder.
    """
    runtime = init_runtime(cfg.device, cfg.threads)
    log = _Log(runtime)
    out = Path(cfg.out)
    if runtime.is_main:
        out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)

    split = read_split(out) if resume else split_data(cfg.data, cfg.split, cfg.val_fraction, cfg.seed, cfg.limit)
    if runtime.is_main and not resume:
        write_split(split, out)
        atomic_write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=1), overwrite=True)
        atomic_write_text(
            out / "split.json",
            json.dumps(
                {
                    "layout": split.layout,
                    "grouping": split.grouping,
                    **{k: describe_counts(v) for k, v in split.parts().items()},
                },
                indent=1,
            ),
            overwrite=True,
        )
    log(
        f"data: train {describe_counts(split.train)}; val {describe_counts(split.val)}; "
        f"test {describe_counts(split.test)}; grouping {split.grouping}"
    )

    spec = preprocess_spec(cfg)
    sizes = sorted({cfg.input_size} | ({cfg.low_res_size} if cfg.low_res_size else set()))
    train_cache = {s: prepare_images(split.train, spec, s, progress=log.tty and log.on) for s in sizes}
    val_cache = {s: prepare_images(split.val, spec, s) for s in sizes} if runtime.is_main else {}
    y_train, y_val = labels_tensor(split.train), labels_tensor(split.val)
    w_train = sample_weights(y_train, cfg.class_weights)
    heart_train = None
    if cfg.attention_anatomy:
        # every rank computes or reads the same file; rank 0 alone would leave the others waiting on it
        heart_train = load_or_compute_heart_masks(out, split.train, cfg.input_size, log=log)

    net = build_network(network_config(cfg))
    if cfg.init_weights and not resume:
        load_tensors_into(net, initial_weights(Path(cfg.init_weights), network_config(cfg)))
        log(f"initial weights: {cfg.init_weights}")
    net = net.to(runtime.device).to(memory_format=torch.channels_last)
    model = net
    if runtime.distributed:
        model = torch.nn.parallel.DistributedDataParallel(
            net, device_ids=[runtime.device.index] if runtime.device.type == "cuda" else None
        )
    params = [p for p in net.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        optimizer = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    else:
        optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=runtime.amp_dtype == torch.float16)
    ema = None
    if cfg.ema_decay:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True)
    eval_net = net if ema is None else ema.module  # what is validated and saved as best
    generator = torch.Generator().manual_seed(cfg.seed * 1000 + runtime.rank)

    state = {
        "epoch": 0,
        "elapsed_s": 0.0,
        "best_val_loss": float("inf"),
        "best_score": float("inf"),
        "best_epoch": -1,
        "since_best": 0,
        "lr": cfg.lr,
    }
    if resume and (out / "state.json").is_file():
        state = load_training_state(out, net, optimizer, generator)
        if ema is not None and (out / LAST_EMA).is_file():
            load_tensors_into(ema, out / LAST_EMA)
        log(f"resumed after epoch {state['epoch']} ({state['elapsed_s'] / 60:.1f} min done)")
    log(f"{network_config(cfg).name} on {runtime.describe()}; recipe {cfg.recipe}")

    budget = cfg.max_minutes * 60.0 if cfg.max_minutes else None
    t0 = time.monotonic() - state["elapsed_s"]
    val_seconds_per_image = None  # measured at input_size, reserves time for the final validation
    stopped_by = "epochs"
    lr = state["lr"]
    rate = 0.0

    def progress(epoch_fraction: float) -> float:
        if budget is not None and cfg.schedule == "onecycle":
            return (time.monotonic() - t0) / budget
        return epoch_fraction / cfg.epochs

    epoch = state["epoch"]
    while epoch < cfg.epochs:
        size = cfg.low_res_size if cfg.low_res_size and progress(epoch) < cfg.low_res_fraction else cfg.input_size
        size = int(broadcast_floats([size], runtime)[0])
        cache = train_cache[size]
        perm = torch.randperm(cache.shape[0], generator=torch.Generator().manual_seed(cfg.seed + epoch))
        per_rank = perm.numel() // runtime.world
        shard = perm[runtime.rank * per_rank : (runtime.rank + 1) * per_rank]
        n_batches = max(1, per_rank // cfg.batch_size) if per_rank >= 2 else 0
        model.train()
        losses, att_means, cf_losses, seen, t_epoch, stop = [], [], [], 0, time.monotonic(), False
        for b in range(n_batches):
            idx = shard[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            if cfg.schedule == "onecycle":
                lr = onecycle_lr(cfg.lr, progress(epoch + b / n_batches), cfg.warmup_fraction)
            elapsed = time.monotonic() - t0
            reserve = (val_seconds_per_image or 0.02 * (cfg.input_size / 128) ** 2) * len(split.val) + 5.0
            lr, stop_flag = broadcast_floats([lr, float(budget is not None and elapsed + reserve >= budget)], runtime)
            if stop_flag:
                stop, stopped_by = True, "time budget"
                break
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, heart = augment_with_maps(
                cache[idx],
                None if heart_train is None else heart_train[idx].float() / 255.0,
                size,
                cfg.augment,
                generator,
            )
            gray = x.to(runtime.device)
            with runtime.autocast():
                logit, attention = model(to_network_input(gray))
            bce, total = loss_terms(
                logit,
                attention,
                y_train[idx].to(runtime.device),
                w_train[idx].to(runtime.device),
                cfg,
                None if heart is None else heart.to(runtime.device),
            )
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(total).backward()
            if cfg.attention_deletion:
                cf_losses.append(
                    deletion_backward(model, gray, attention, y_train[idx], generator, cfg, runtime, scaler)
                )
            scaler.step(optimizer)
            scaler.update()
            if ema is not None:
                ema.update_parameters(net)
            losses.append(bce.item())
            att_means.append(attention.float().mean().item())
            seen += idx.numel()
            rate = seen * runtime.world / max(1e-9, time.monotonic() - t_epoch)
            log(
                f"epoch {epoch + 1} batch {b + 1}/{n_batches} {size}px loss {np.mean(losses):.4f} "
                f"lr {lr:.2e} {rate:.1f} img/s elapsed {(time.monotonic() - t0) / 60:.1f} min",
                every=30.0,
            )
        if not losses:
            break
        epoch += 1
        row = {
            "epoch": epoch,
            "train_size": size,
            "train_loss": float(np.mean(losses)),
            "attention_mean": float(np.mean(att_means)),
            "lr": lr,
            "images_per_s": rate,
        }
        if cf_losses:
            row["deletion_loss"] = float(np.mean(cf_losses))
        decision = [0.0, 0.0]
        if runtime.is_main:
            t_val = time.monotonic()
            logits, _ = predict_logits(eval_net, val_cache[size], size, runtime)
            if size == cfg.input_size:
                val_seconds_per_image = (time.monotonic() - t_val) / max(1, len(split.val)) * 1.2
            val_loss = F.binary_cross_entropy_with_logits(
                logits, y_val, weight=sample_weights(y_val, cfg.class_weights)
            ).item()
            val_auc = auroc(y_val.numpy(), logits.numpy())
            improved, lr, early_stop = after_validation(
                state, val_loss, epoch, size == cfg.input_size, lr, cfg, val_auc
            )
            if improved:
                save_tensors(eval_net, out / "best.safetensors")
            state.update(epoch=epoch, elapsed_s=time.monotonic() - t0, lr=lr)
            row.update(
                val_size=size, val_loss=val_loss, val_auroc=val_auc, elapsed_s=state["elapsed_s"], best=int(improved)
            )
            append_epoch_row(out, row)
            if ema is not None:
                save_tensors(ema, out / LAST_EMA)  # before state.json, which names a complete epoch
            save_training_state(out, net, optimizer, generator, state)
            log(
                f"epoch {epoch}: {size}px train loss {row['train_loss']:.4f} | val loss {val_loss:.4f} "
                f"AUROC {val_auc:.4f}{' *best*' if improved else ''} | {rate:.1f} img/s | "
                f"{state['elapsed_s'] / 60:.1f} min"
            )
            decision = [lr, float(early_stop)]
        lr, early = broadcast_floats(decision, runtime)
        if stop:
            break
        if early:
            stopped_by = "early stop"
            break
    if runtime.is_main and not (out / "best.safetensors").is_file():
        # no epoch reached input_size (budget too short for the low-res phase): keep the last weights
        save_tensors(eval_net, out / "best.safetensors")
    result = TrainResult(
        out,
        out / "best.safetensors",
        state["best_epoch"],
        state["best_val_loss"],
        epoch,
        time.monotonic() - t0,
        stopped_by,
    )
    if runtime.is_main:
        atomic_write_text(
            out / "result.json",
            json.dumps(
                {
                    "best_epoch": result.best_epoch,
                    "best_val_loss": result.best_val_loss,
                    "best_val_auroc": state.get("best_val_auroc"),
                    "selected_by": cfg.select_by,
                    "epochs": result.epochs,
                    "elapsed_s": result.elapsed_s,
                    "stopped_by": result.stopped_by,
                    "runtime": runtime.describe(),
                },
                indent=1,
            ),
            overwrite=True,
        )
        log(
            f"done: {epoch} epochs, stopped by {stopped_by}; best epoch {result.best_epoch} "
            f"(val loss {result.best_val_loss:.4f}) -> {result.best_checkpoint}"
        )
    shutdown(runtime)
    return result

"""The learning-rate schedules and what one validation decides: the best checkpoint, the plateau LR, early stopping."""

from __future__ import annotations

import math

from cardioview.training.classifier.config import TrainConfig


def onecycle_lr(peak: float, progress: float, warmup: float) -> float:
    """Linear warm-up to ``peak`` over ``warmup`` of the run, then cosine down to peak/1000."""
    progress = min(max(progress, 0.0), 1.0)
    if progress < warmup:
        return peak * (0.04 + 0.96 * progress / warmup)
    t = (progress - warmup) / max(1e-9, 1.0 - warmup)
    return peak * (1e-3 + (1 - 1e-3) * 0.5 * (1.0 + math.cos(math.pi * t)))


def after_validation(
    state: dict,
    val_loss: float,
    epoch: int,
    at_input_size: bool,
    lr: float,
    cfg: TrainConfig,
    val_auroc: float | None = None,
) -> tuple[bool, float, bool]:
    """Checkpoint choice, plateau LR and early stopping after one validation; updates ``state``.

    "Best" is the lowest validation loss, or with ``select_by="val_auroc"`` the
    highest validation AUROC. Only epochs validated at the input size compete (a
    low-res epoch's figures are not comparable). The plateau schedule multiplies
    the LR by ``plateau_factor`` after every ``plateau_patience`` epochs without
    improvement; training stops after ``patience`` such epochs.

    Returns:
        (improved, the LR for the next epoch, stop early?)
    """
    score = val_loss if cfg.select_by == "val_loss" else -float(val_auroc)
    # a run folder from before --select-by recorded only the loss it was selected on
    improved = at_input_size and score < state.get("best_score", state["best_val_loss"])
    if improved:
        state.update(best_score=score, best_val_loss=val_loss, best_val_auroc=val_auroc, best_epoch=epoch, since_best=0)
    elif at_input_size:
        state["since_best"] += 1
    if cfg.schedule == "plateau" and not improved and at_input_size and state["since_best"] % cfg.plateau_patience == 0:
        lr *= cfg.plateau_factor
    return improved, lr, state["since_best"] >= cfg.patience

"""The training loss: per-sample class weights, the weighted BCE with the attention terms, the deletion term's backward.

The terms themselves live in attention_terms, heart_prior and deletion_term; this module weighs and adds them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cardioview.training.classifier.attention_terms import spatial_entropy, total_variation
from cardioview.training.classifier.augment import to_network_input
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.deletion_term import deletion_loss, deletion_pairs
from cardioview.training.classifier.heart_prior import anatomy_loss
from cardioview.training.classifier.runtime import Runtime


def sample_weights(labels: torch.Tensor, balanced: bool) -> torch.Tensor:
    """Keras-style class weights N / (2 n_c) per sample (all ones when not balanced)."""
    if not balanced:
        return torch.ones_like(labels)
    n_pos = labels.sum().clamp_min(1)
    n_neg = (labels.numel() - labels.sum()).clamp_min(1)
    return torch.where(labels > 0.5, labels.numel() / (2 * n_pos), labels.numel() / (2 * n_neg))


def loss_terms(
    logit: torch.Tensor,
    attention: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor,
    cfg: TrainConfig,
    heart: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(weighted BCE, total loss with the attention terms). Computed in fp32 whatever the autocast.

    ``heart``: (N, 1, H, W) heart masks aligned with the batch (``--attention-anatomy`` only).
    """
    smoothed = target * (1 - cfg.label_smoothing) + 0.5 * cfg.label_smoothing
    bce = F.binary_cross_entropy_with_logits(logit.float().view(-1), smoothed, weight=weight)
    total = bce
    if cfg.head == "amm":
        if cfg.attention_penalty:
            total = total + cfg.attention_penalty * attention.float().mean()
        if cfg.attention_entropy:
            total = total + cfg.attention_entropy * spatial_entropy(attention)
        if cfg.attention_tv:
            total = total + cfg.attention_tv * total_variation(attention)
        if cfg.attention_anatomy and heart is not None:
            total = total + cfg.attention_anatomy * anatomy_loss(attention, heart)
    elif cfg.attention_anatomy and heart is not None:
        # GAP's logit is the mean of its CAM, so pulling the CAM up on a negative film's heart would
        # pull its logit up too: the CAM is guided where it is evidence, on positive films only.
        positive = target > 0.5
        if positive.any():
            total = total + cfg.attention_anatomy * anatomy_loss(attention[positive], heart[positive])
    return bce, total


def deletion_backward(
    model: torch.nn.Module,
    gray: torch.Tensor,
    attention: torch.Tensor,
    target: torch.Tensor,
    generator: torch.Generator,
    cfg: TrainConfig,
    runtime: Runtime,
    scaler,
) -> float:
    """Forward and backward of the counterfactual deletion term (training.deletion_term); returns its value.

    Runs after the main loss's backward and before the optimizer step, so the
    gradients add up (under DDP each backward is reduced, which sums the same way).
    """
    inputs, targets, weights = deletion_pairs(gray, attention, target, generator, max(1, cfg.batch_size // 4))
    with runtime.autocast():
        logit, _ = model(to_network_input(inputs))
    loss = deletion_loss(logit, targets, weights)
    scaler.scale(cfg.attention_deletion * loss).backward()
    return loss.item()

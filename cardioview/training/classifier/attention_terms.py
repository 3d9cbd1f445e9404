"""Optional loss terms on the attention map W (AMM head only), each off by default.

Both are scale-free, so they shape where W puts its mass without simply
pushing its amplitude down (that is what the mean-W penalty does):

- ``spatial_entropy``: entropy of W normalised to a distribution over the
  feature map, divided by log(h * w): 1 for a flat map, 0 for a single peak.
  Minimising it concentrates W.
- ``total_variation``: mean absolute difference of neighbouring W values,
  divided by mean W. Minimising it favours one smooth blob over scattered
  speckle.
"""

from __future__ import annotations

import math

import torch

EPS = 1e-6


def spatial_entropy(w: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the normalised spatial entropy of W (N, 1, h, w), in [0, 1]."""
    flat = w.float().flatten(1)
    p = flat / (flat.sum(1, keepdim=True) + EPS)
    entropy = -(p * torch.log(p + EPS)).sum(1)
    return (entropy / math.log(max(flat.shape[1], 2))).mean()


def total_variation(w: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of (mean |dW/dx| + mean |dW/dy|) / mean W, for W (N, 1, h, w)."""
    w = w.float()
    dx = (w[..., :, 1:] - w[..., :, :-1]).abs().flatten(1).mean(1) if w.shape[-1] > 1 else 0.0
    dy = (w[..., 1:, :] - w[..., :-1, :]).abs().flatten(1).mean(1) if w.shape[-2] > 1 else 0.0
    return ((dx + dy) / (w.flatten(1).mean(1) + EPS)).mean()

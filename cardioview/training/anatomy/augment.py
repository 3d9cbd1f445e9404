"""Batch augmentation for the segmenter, in torch, matching real films.

Geometry: small rotation, shift and scale (same warp for image and masks).
Intensity: gamma, contrast, brightness and a little noise (image only).
No horizontal flip: left and right are anatomy here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AnatomyAugment:
    rotate_deg: float = 8.0
    shift: float = 0.06
    scale: float = 0.1
    gamma: float = 0.35  # log-uniform in [exp(-g), exp(g)]
    contrast: float = 0.2
    brightness: float = 0.1
    noise: float = 0.02
    hflip: float = 0.0  # recorded so the manifest says it plainly

    def to_dict(self) -> dict:
        return asdict(self)


def augment_batch(x: torch.Tensor, y: torch.Tensor, aug: AnatomyAugment, gen: torch.Generator):
    """x (N, 1, H, W) in [0, 1], y (N, C, H, W) soft masks -> augmented copies."""
    n = x.shape[0]

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    angle = u(-aug.rotate_deg, aug.rotate_deg) * math.pi / 180
    scale = torch.exp(u(-aug.scale, aug.scale))
    tx, ty = u(-aug.shift, aug.shift) * 2, u(-aug.shift, aug.shift) * 2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    y = F.grid_sample(y, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    gamma = torch.exp(u(-aug.gamma, aug.gamma)).view(n, 1, 1, 1)
    contrast = (1 + u(-aug.contrast, aug.contrast)).view(n, 1, 1, 1)
    bright = u(-aug.brightness, aug.brightness).view(n, 1, 1, 1)
    x = x.clamp(0, 1) ** gamma
    x = (x - 0.5) * contrast + 0.5 + bright
    x = x + aug.noise * torch.randn(x.shape, generator=gen)
    return x.clamp(0, 1), y

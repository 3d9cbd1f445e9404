"""Online augmentation on cached tensors, batched in torch (no per-image Python work).

One random affine per image (shift, rotation, shear, zoom) through
``affine_grid``/``grid_sample``, which also resamples to the training size, then
brightness and contrast. Horizontal flips are off by default: the heart sits on
the left of a frontal film, a mirrored chest (dextrocardia) is almost never seen
at inference, and the attention map should learn the real cardiac position.
The paper's recipe turns them on (it used flips).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random transforms (uniform in [-x, x] unless stated).

    Attributes:
        shift: translation as a fraction of the image side.
        rotate_deg: rotation in degrees.
        shear_deg: horizontal shear in degrees.
        zoom: scale drawn from [1 - zoom, 1 + zoom].
        brightness: added to intensities in [0, 1].
        contrast: intensities scaled about 0.5 by [1 - contrast, 1 + contrast].
        hflip: probability of a horizontal flip.
    """

    shift: float = 0.08
    rotate_deg: float = 10.0
    shear_deg: float = 5.0
    zoom: float = 0.10
    brightness: float = 0.10
    contrast: float = 0.15
    hflip: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


NO_AUGMENTATION = AugmentConfig(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _uniform(n: int, bound: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(n, generator=generator) * 2.0 - 1.0) * bound


def affine_matrices(n: int, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """(n, 2, 3) matrices mapping output to input coordinates in [-1, 1] space."""
    angle = _uniform(n, math.radians(cfg.rotate_deg), generator)
    shear = torch.tan(_uniform(n, math.radians(cfg.shear_deg), generator))
    scale = 1.0 + _uniform(n, cfg.zoom, generator)
    flip = torch.where(torch.rand(n, generator=generator) < cfg.hflip, -1.0, 1.0)
    tx = _uniform(n, 2.0 * cfg.shift, generator)  # [-1, 1] spans 2 units
    ty = _uniform(n, 2.0 * cfg.shift, generator)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # inverse of zoom: sampling a smaller window enlarges the content
    a = torch.stack([torch.stack([cos, -sin + shear * cos], -1), torch.stack([sin, cos + shear * sin], -1)], 1)
    a = a / scale.view(n, 1, 1)
    a[:, :, 0] *= flip.view(n, 1)
    return torch.cat([a, torch.stack([tx, ty], -1).unsqueeze(-1)], dim=2)


def augment_batch(images: torch.Tensor, size: int, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """uint8 or float (N, H, W) cache rows -> float32 (N, 1, size, size) in [0, 1], randomly transformed.

    With NO_AUGMENTATION it only resamples to ``size`` (identity when the sizes match).
    """
    return augment_with_maps(images, None, size, cfg, generator)[0]


def augment_with_maps(
    images: torch.Tensor, maps: torch.Tensor | None, size: int, cfg: AugmentConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """As :func:`augment_batch`, and moves ``maps`` (N, H, W) float, e.g. heart masks, with the same geometry.

    The maps get the affine transform only (no brightness or contrast), so a
    mask stays aligned with its augmented image. The random draws are the same
    with or without maps, so a seed gives the same images either way.

    Returns:
        (images (N, 1, size, size), maps (N, 1, size, size) or None)
    """
    x = images.float().unsqueeze(1) / (255.0 if images.dtype == torch.uint8 else 1.0)
    m = None if maps is None else maps.float().unsqueeze(1)
    n = x.shape[0]
    if cfg == NO_AUGMENTATION:
        return resize_batch(x, size), None if m is None else resize_batch(m, size)
    theta = affine_matrices(n, cfg, generator)
    grid = F.affine_grid(theta, [n, 1, size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if m is not None:
        m = F.grid_sample(m, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    c = 1.0 + _uniform(n, cfg.contrast, generator).view(n, 1, 1, 1)
    b = _uniform(n, cfg.brightness, generator).view(n, 1, 1, 1)
    return ((x - 0.5) * c + 0.5 + b).clamp_(0.0, 1.0), m


def resize_batch(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N, 1, H, W) float -> (N, 1, size, size): area when shrinking, bilinear when enlarging (as preprocess.resize)."""
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    if size < x.shape[-1]:
        return F.interpolate(x, size=(size, size), mode="area")
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def to_network_input(gray: torch.Tensor, channels: int = 3) -> torch.Tensor:
    """(N, 1, H, W) -> (N, channels, H, W) channels_last, as the model expects."""
    return gray.expand(-1, channels, -1, -1).contiguous(memory_format=torch.channels_last)

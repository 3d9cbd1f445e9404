"""A small U-Net segmenting heart, right lung and left lung on a frontal chest film.

Plain torch, written out here rather than taken from segmentation-models-pytorch:
its encoders are ImageNet-sized (the smallest, resnet18, is 11M parameters, 22 MB even
in fp16), while the segmenter has ~10 MB of the 60 MB weights budget. At base width
16 this network has about 1.9M parameters (3.9 MB in fp16).

Output: 3 logits per pixel, channels ``CHANNELS`` (multi-label, sigmoid each: the
SCR heart and lung outlines may overlap).
"""

from __future__ import annotations

import torch
from torch import nn

#: Output channel order (image left = patient's right).
CHANNELS = ("heart", "right_lung", "left_lung")


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net (Ronneberger 2015) with BN, ``depth`` poolings, widths base * 2**k.

    Args:
        base: channels at full resolution.
        depth: number of 2x down-samplings (input sides must be multiples of 2**depth).
        in_channels: 1 (gray).
        out_channels: len(CHANNELS).
    """

    def __init__(self, base: int = 16, depth: int = 4, in_channels: int = 1, out_channels: int = 3):
        super().__init__()
        widths = [base * 2**k for k in range(depth + 1)]
        self.down = nn.ModuleList([_block(in_channels, widths[0])])
        self.down.extend(_block(widths[k - 1], widths[k]) for k in range(1, depth + 1))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[k], widths[k - 1], 2, stride=2) for k in range(depth, 0, -1))
        self.dec = nn.ModuleList(_block(2 * widths[k - 1], widths[k - 1]) for k in range(depth, 0, -1))
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for k, block in enumerate(self.down):
            if k:
                x = self.pool(x)
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for up, dec in zip(self.up, self.dec):
            x = up(x)
            x = dec(torch.cat([skips.pop(), x], dim=1))
        return self.head(x)


def build_segmenter(arch: dict | None = None) -> UNet:
    """The network from a manifest's ``architecture`` dict (base, depth)."""
    arch = arch or {}
    return UNet(base=int(arch.get("base", 16)), depth=int(arch.get("depth", 4)))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

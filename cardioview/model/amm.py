"""The Attention Mapping Mechanism (AMM) head, PAPER.md Table 3, and the GAP baseline head."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class AttentionMappingHead(nn.Module):
    """AMM head: feature maps F (N, K, h, w) -> (logit (N, 1), attention W (N, 1, h, w)).

    Layer by layer, as the paper's Table 3:
    BN(F); 1x1 convs 128/32/16 with ELU; 2x2 stride-1 'same' average pool;
    1x1 conv to 1 channel + sigmoid = W; a fixed all-ones 1->K 1x1 conv that
    broadcasts W to every channel (not trainable); A = BN(F) * W;
    GWAP f = GAP(A) / GAP(W); dropout; dense 128 + ELU; dropout; dense 1.

    Args:
        channels: K, the backbone's feature channels (1024 for DenseNet-121).
        dropout: rate of both dropouts (the paper gives none; 0.5 is Keras-typical).
        attention_bias: initial bias of the conv that produces W (0 = paper;
            negative values start W small so it must learn where to look).
    """

    def __init__(self, channels: int, dropout: float = 0.5, attention_bias: float = 0.0):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)  # Keras defaults
        self.conv1 = nn.Conv2d(channels, 128, 1)
        self.conv2 = nn.Conv2d(128, 32, 1)
        self.conv3 = nn.Conv2d(32, 16, 1)
        self.conv4 = nn.Conv2d(16, 1, 1)
        # Conv5 of the paper: weights fixed to one, no bias, not trainable.
        self.broadcast = nn.Parameter(torch.ones(channels, 1, 1, 1), requires_grad=False)
        self.drop1 = nn.Dropout(dropout)
        self.fc1 = nn.Linear(channels, 128)
        self.drop2 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(128, 1)
        self.attention_bias = attention_bias

    @staticmethod
    def same_avg_pool_2x2(x: torch.Tensor) -> torch.Tensor:
        # Keras 'same' with an even window pads only after (right/bottom), and the
        # average ignores the padding: count_include_pad=False does exactly that.
        return F.avg_pool2d(F.pad(x, (0, 1, 0, 1)), 2, stride=1) * _pad_correction(x)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.bn(features)
        x = F.elu(self.conv1(f))
        x = F.elu(self.conv2(x))
        x = F.elu(self.conv3(x))
        x = self.same_avg_pool_2x2(x)
        w = torch.sigmoid(self.conv4(x))
        w_k = F.conv2d(w, self.broadcast)  # (N, K, h, w), W copied to every channel
        a = f * w_k
        pooled = a.mean(dim=(2, 3)) / w_k.mean(dim=(2, 3)).clamp_min(1e-12)
        x = F.elu(self.fc1(self.drop1(pooled)))
        logit = self.fc2(self.drop2(x))
        return logit, w


def _pad_correction(x: torch.Tensor) -> torch.Tensor:
    """Factor that turns a zero-padded 2x2 mean into a mean over valid cells only.

    Interior cells average 4 values, the last column/row 2, the corner 1.
    Built from shapes alone so ONNX export stays dynamic in H and W.
    """
    ones = torch.ones_like(x[:1, :1])
    counts = F.avg_pool2d(F.pad(ones, (0, 1, 0, 1)), 2, stride=1)
    return 1.0 / counts


class GlobalAveragePoolingHead(nn.Module):
    """Baseline "<backbone>-GAP": GAP + dropout + one dense unit.

    Its "attention" is the class activation map, sigmoid(w . F(x, y) + b):
    with a single linear layer the logit is exactly the mean of that map
    before the sigmoid, so it shows what the baseline looks at.
    """

    def __init__(self, channels: int, dropout: float = 0.5):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, 1)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logit = self.fc(self.drop(features.mean(dim=(2, 3))))
        cam = torch.einsum("nkhw,k->nhw", features, self.fc.weight[0]) + self.fc.bias[0]
        return logit, torch.sigmoid(cam).unsqueeze(1)

"""Backbone + head factory: CardioXAttentionNet (AMM) and the GAP baseline.

>>> net = build_network(NetworkConfig())          # CXA_Dense121, Glorot init
>>> logit, attention = net(torch.zeros(1, 3, 224, 224))
>>> attention.shape                                # torch.Size([1, 1, 7, 7])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from cardioview.model.amm import AttentionMappingHead, GlobalAveragePoolingHead

BACKBONES = ("densenet121", "densenet201", "resnet50", "inception_resnet_v2")
HEADS = ("amm", "gap")
OUTPUT_STRIDES = (32, 16)


@dataclass(frozen=True)
class NetworkConfig:
    """Everything needed to rebuild the same network; stored in the manifest.

    Attributes:
        backbone: one of BACKBONES.
        head: "amm" (the paper's CXA model) or "gap" (the baseline).
        dropout: dropout rate of the head.
        attention_bias: initial bias of the attention conv (AMM only).
        output_stride: 32 (the paper's: a 7x7 map at 224 px) or 16 (DenseNet only: the last
            transition keeps its resolution, so the map is 8x8 at 128 px, 14x14 at 224 px,
            with the same parameters).
    """

    backbone: str = "densenet121"
    head: str = "amm"
    dropout: float = 0.5
    attention_bias: float = 0.0
    output_stride: int = 32

    def __post_init__(self) -> None:
        if self.output_stride not in OUTPUT_STRIDES:
            raise ValueError(f"output_stride must be one of {OUTPUT_STRIDES}, not {self.output_stride!r}")
        if self.output_stride != 32 and not self.backbone.startswith("densenet"):
            raise ValueError("output_stride 16 is implemented for the DenseNet backbones only")
        if self.backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {self.backbone!r}; choose from {', '.join(BACKBONES)}")
        if self.head not in HEADS:
            raise ValueError(f"unknown head {self.head!r}; choose from {', '.join(HEADS)}")

    @property
    def name(self) -> str:
        """The paper's name for it: CXA_Dense121, DenseNet121-GAP, ..."""
        short = {
            "densenet121": "Dense121",
            "densenet201": "Dense201",
            "resnet50": "Res50",
            "inception_resnet_v2": "IncepRes2",
        }[self.backbone]
        if self.head == "amm":
            return f"CXA_{short}"
        return {
            "densenet121": "DenseNet121",
            "densenet201": "DenseNet201",
            "resnet50": "ResNet50",
            "inception_resnet_v2": "InceptionRes2",
        }[self.backbone] + "-GAP"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> NetworkConfig:
        return cls(**{k: d[k] for k in ("backbone", "head", "dropout", "attention_bias", "output_stride") if k in d})


class _DenseNetFeatures(nn.Module):
    """torchvision DenseNet features with the final ReLU (Keras include_top=False output)."""

    def __init__(self, features: nn.Module):
        super().__init__()
        self.features = features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.features(x))


def _densenet(features: nn.Module, output_stride: int) -> nn.Module:
    if output_stride == 16:
        # the last transition keeps its 1x1 conv (same parameters) but not its 2x2 pooling
        features.transition3.pool = nn.Identity()
    return _DenseNetFeatures(features)


def _backbone(name: str, output_stride: int = 32) -> tuple[nn.Module, int]:
    """The feature extractor (no pooling, no classifier) and its channel count K."""
    import torchvision.models as tvm

    if name == "densenet121":
        return _densenet(tvm.densenet121(weights=None).features, output_stride), 1024
    if name == "densenet201":
        return _densenet(tvm.densenet201(weights=None).features, output_stride), 1920
    if name == "resnet50":
        r = tvm.resnet50(weights=None)
        return nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1, r.layer2, r.layer3, r.layer4), 2048
    if name == "inception_resnet_v2":
        try:
            import timm
        except ImportError as exc:  # optional dependency
            raise ImportError("the inception_resnet_v2 backbone needs timm: pip install timm") from exc
        m = timm.create_model("inception_resnet_v2", pretrained=False, num_classes=0, global_pool="")
        return m, 1536
    raise ValueError(name)


class CardioXAttentionNet(nn.Module):
    """Backbone + head. forward(image (N, 3, H, W)) -> (logit (N, 1), attention (N, 1, h, w)).

    Fully convolutional up to the pooling, so any H, W >= 32 works.
    """

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        self.backbone, channels = _backbone(config.backbone, config.output_stride)
        if config.head == "amm":
            self.head: nn.Module = AttentionMappingHead(channels, config.dropout, config.attention_bias)
        else:
            self.head = GlobalAveragePoolingHead(channels, config.dropout)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.backbone(image))


def glorot_init_(net: nn.Module, attention_bias: float = 0.0) -> None:
    """Keras defaults: Glorot-uniform kernels, zero biases, BN gamma 1 / beta 0.

    Fixed (non-trainable) parameters such as the AMM broadcast stay untouched.
    """
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d,)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    for m in net.modules():  # the network, or an AMM head on its own
        if isinstance(m, AttentionMappingHead):
            nn.init.constant_(m.conv4.bias, attention_bias)


def build_network(config: NetworkConfig, init: bool = True) -> CardioXAttentionNet:
    """Build the network; ``init`` applies Glorot-uniform initialisation (the paper's)."""
    net = CardioXAttentionNet(config)
    if init:
        glorot_init_(net, config.attention_bias)
    return net


class ProbabilityModel(nn.Module):
    """The inference contract shared by the torch backend and the ONNX export.

    forward(image (N, 3, H, W)) -> (probability (N, 1), attention (N, 1, h, w)),
    probability = sigmoid(logit / temperature) (temperature scaling calibration).
    """

    def __init__(self, net: CardioXAttentionNet, temperature: float = 1.0):
        super().__init__()
        self.net = net
        self.register_buffer("inv_temperature", torch.tensor(1.0 / float(temperature)), persistent=False)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logit, attention = self.net(image)
        return torch.sigmoid(logit * self.inv_temperature), attention


def count_parameters(module: nn.Module) -> tuple[int, int]:
    """(trainable, fixed) parameter counts; BN running statistics are buffers, not counted."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    fixed = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    return trainable, fixed

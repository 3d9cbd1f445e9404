"""The network a run trains, from its TrainConfig: architecture, preprocessing, starting weights, predictions.

Shared by the training loop (classifier.train), the head probe and the evaluation tools that rebuild a run's network.
"""

from __future__ import annotations

from pathlib import Path

import torch

from cardioview.errors import WeightsError
from cardioview.model.bundle import SAFETENSORS, load_bundle
from cardioview.model.network import NetworkConfig
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.training.classifier.augment import NO_AUGMENTATION, augment_batch, to_network_input
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.runtime import Runtime


def network_config(cfg: TrainConfig) -> NetworkConfig:
    return NetworkConfig(
        backbone=cfg.backbone,
        head=cfg.head,
        dropout=cfg.dropout,
        attention_bias=cfg.attention_bias,
        output_stride=cfg.output_stride,
    )


def preprocess_spec(cfg: TrainConfig) -> PreprocessSpec:
    """The spec a run trains with and its bundle records: version 2, the NIH thumbnail rendering."""
    return PreprocessSpec(input_size=cfg.input_size, equalize=cfg.equalize, channels=3, version=2)


def initial_weights(path: Path, config: NetworkConfig) -> Path:
    """The safetensors file to start from: a bundle folder's hash-verified tensors, or a file as given.

    Raises:
        WeightsError: unverifiable bundle, or one of another architecture.
    """
    if not path.is_dir():
        return path

    bundle = load_bundle(path)
    theirs = NetworkConfig.from_dict(bundle.architecture)
    shape_keys = ("backbone", "head", "output_stride")  # dropout and the initial bias do not change tensors
    if any(getattr(theirs, k) != getattr(config, k) for k in shape_keys):
        raise WeightsError(
            f"{path.name}: its network ({theirs.name}, output stride {theirs.output_stride}) is not "
            f"this run's ({config.name}, output stride {config.output_stride})"
        )
    return bundle.verified_path(SAFETENSORS)


@torch.no_grad()
def predict_logits(
    net: torch.nn.Module, images: torch.Tensor, size: int, runtime: Runtime, batch_size: int = 64
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode logits (N,) and attention maps (N, 1, h, w) for cached images resampled to ``size``."""
    was_training = net.training
    net.eval()
    logits, maps = [], []
    for start in range(0, images.shape[0], batch_size):
        x = augment_batch(images[start : start + batch_size], size, NO_AUGMENTATION, None)
        with runtime.autocast():
            logit, w = net(to_network_input(x).to(runtime.device))
        logits.append(logit.float().view(-1).cpu())
        maps.append(w.float().cpu())
    net.train(was_training)
    return torch.cat(logits), torch.cat(maps)

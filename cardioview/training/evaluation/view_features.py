"""Features of a classifier bundle's frozen backbone, for estimating a film's view (issue 19, item 4).

The view estimator (:mod:`view_estimator`) is an evaluation tool, not a product feature: it labels the
validation and test thumbnails, whose file names carry no NIH id and so no view, as PA or AP.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.training.evaluation.scoring import load_input


@torch.no_grad()
def backbone_features(
    net: torch.nn.Module, grays: np.ndarray, channels: int = 3, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) network inputs -> (globally averaged backbone features (N, K), logits (N,)), eval mode, fp32."""
    net.eval()
    features, logits = [], []
    for start in range(0, len(grays), batch_size):
        x = torch.as_tensor(np.asarray(grays[start : start + batch_size], dtype=np.float32))
        f = net.backbone(x.unsqueeze(1).expand(-1, channels, -1, -1).contiguous())
        logit, _ = net.head(f)
        features.append(f.float().mean((2, 3)).numpy())
        logits.append(logit.float().view(-1).numpy())
    return np.concatenate(features).astype(np.float64), np.concatenate(logits).astype(np.float64)


def file_features(net: torch.nn.Module, paths: list[Path], spec: PreprocessSpec) -> tuple[np.ndarray, np.ndarray]:
    """:func:`backbone_features` of image files rendered with the bundle's preprocessing (as the viewer would).

    Raises:
        CardioViewError: a file cannot be loaded (the caller names it).
    """
    grays = np.stack([load_input(Path(p), spec) for p in paths])
    return backbone_features(net, grays, spec.channels)

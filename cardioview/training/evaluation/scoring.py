"""Run a network over labelled image files exactly as the viewer would.

Each file goes through ``cardioview.imaging.load`` and the bundle's
:class:`PreprocessSpec` (``prepare_gray``), in float32 without the training
cache's uint8 rounding, so evaluation measures what a user gets.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cardioview.errors import CardioViewError
from cardioview.imaging import load
from cardioview.inference.calibration_map import apply_recalibration
from cardioview.inference.preprocess import prepare_gray, target_size
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.training.classifier.data import Sample


@dataclass
class Scores:
    """Network outputs for the images that loaded.

    Attributes:
        samples: the scored samples (unloadable files are left out and counted).
        logits: (N,) uncalibrated logits.
        attention: (N, h, w) float32 maps W at feature resolution.
        skipped: how many files failed to load.
    """

    samples: list[Sample]
    logits: np.ndarray
    attention: np.ndarray
    skipped: int = 0

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples], dtype=int)

    def probabilities(self, temperature: float = 1.0) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits.astype(np.float64) / temperature))


def bundle_probabilities(scores: Scores, bundle) -> np.ndarray:
    """What the Predictor reports for these scores: the bundle's temperature, then its recalibration map."""
    return apply_recalibration(scores.logits / bundle.temperature, bundle.recalibration)


def restrict_scores(scores: Scores, paths: set[str]) -> Scores:
    """The scores of the images in ``paths``, in their original order."""
    keep = [i for i, s in enumerate(scores.samples) if str(s.path) in paths]
    return Scores([scores.samples[i] for i in keep], scores.logits[keep], scores.attention[keep], scores.skipped)


def load_input(path: Path, spec: PreprocessSpec, full_resolution: bool = False) -> np.ndarray:
    """One file -> float32 (H, W) network input in [0, 1] (before channel replication)."""
    xray = load(path)
    size = target_size(xray.shape, spec, full_resolution)
    return prepare_gray(xray.pixels, spec, size)


@torch.no_grad()
def forward_gray(
    net: torch.nn.Module, grays: np.ndarray | torch.Tensor, channels: int = 3, device: str | torch.device = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) float inputs -> (logits (N,), attention (N, h, w)) in eval mode, fp32."""
    x = torch.as_tensor(np.asarray(grays, dtype=np.float32)).unsqueeze(1).expand(-1, channels, -1, -1)
    logit, w = net.eval()(x.contiguous().to(device))
    return logit.float().view(-1).cpu().numpy(), w.float()[:, 0].cpu().numpy()


def score_samples(
    net: torch.nn.Module,
    samples: list[Sample],
    spec: PreprocessSpec,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> Scores:
    """Score every sample at the spec's input size; files that fail to load are skipped and counted."""
    kept, logits, maps, batch, skipped = [], [], [], [], 0
    pending: list[Sample] = []

    def flush() -> None:
        if batch:
            lg, w = forward_gray(net, np.stack(batch), spec.channels, device)
            logits.append(lg)
            maps.append(w)
            kept.extend(pending)
            batch.clear()
            pending.clear()

    for i, s in enumerate(samples):
        try:
            batch.append(load_input(s.path, spec))
            pending.append(s)
        except CardioViewError:
            skipped += 1
        if len(batch) >= batch_size:
            flush()
        if progress and (i + 1) % 200 == 0:
            print(f"scored {i + 1}/{len(samples)}", file=sys.stderr, flush=True)
    flush()
    if not kept:
        raise CardioViewError(f"none of the {len(samples)} images could be loaded")
    return Scores(kept, np.concatenate(logits), np.concatenate(maps).astype(np.float32), skipped)

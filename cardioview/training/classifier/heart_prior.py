"""Heart masks for anatomy-guided attention (``--attention-anatomy``), one per training image.

The option adds a loss term pulling the AMM map W towards the heart outline that
the shipped segmenter (weights/cxr_anatomy, trained on JSRT/SCR and Wingspan
masks) finds on each training film. No radiologist box and no label of the
classification data enters it: the classifier's data stay image-level labels,
and the NIH boxes stay what the attention is measured against.

The masks are computed once (about 20 ms an image) and kept in the run folder,
so a resumed run does not recompute them:

    RUN/heart_masks.safetensors   uint8 (N, size, size), 255 = heart; metadata: segmenter id, paths digest
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save

from cardioview.atomic import atomic_write_bytes
from cardioview.errors import WeightsError
from cardioview.inference.anatomy_runner import AnatomyRunner
from cardioview.model.anatomy_bundle import find_anatomy_bundle
from cardioview.training.classifier.data import Sample, read_gray

HEART_MASKS = "heart_masks.safetensors"


def paths_digest(samples: list[Sample]) -> str:
    """sha256 of the samples' paths in order: ties a stored mask stack to its image list."""
    return hashlib.sha256("\n".join(str(s.path) for s in samples).encode("utf-8")).hexdigest()


def compute_heart_masks(samples: list[Sample], size: int, runner, progress: bool = False) -> torch.Tensor:
    """The segmenter's heart (its largest blob) on every sample, as uint8 (N, size, size), 255 = heart.

    Args:
        samples: the images, in the order of the training cache.
        size: side of the training cache (the masks line up with its rows).
        runner: an :class:`cardioview.inference.anatomy_runner.AnatomyRunner`.
    """
    out = torch.zeros((len(samples), size, size), dtype=torch.uint8)
    for i, s in enumerate(samples):
        heart, _right, _left = runner.masks(read_gray(s.path), shape=(size, size))
        out[i] = torch.from_numpy(heart.astype(np.uint8) * 255)
        if progress and (i + 1) % 500 == 0:
            print(f"heart masks: {i + 1}/{len(samples)}", file=sys.stderr, flush=True)
    return out


def load_or_compute_heart_masks(
    out: Path, samples: list[Sample], size: int, segmenter: Path | None = None, log=print
) -> torch.Tensor:
    """RUN/heart_masks.safetensors when it matches these samples and size; otherwise compute and store it.

    Args:
        out: the run folder.
        segmenter: a segmenter bundle folder (None = the shipped weights/cxr_anatomy).
    Raises:
        WeightsError: the segmenter bundle is missing or fails verification.
    """
    path = Path(out) / HEART_MASKS
    digest = paths_digest(samples)
    if path.is_file():
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        masks = load_file(str(path))["heart"]
        if meta.get("paths_sha256") == digest and tuple(masks.shape) == (len(samples), size, size):
            log(f"heart masks: {len(samples)} from {path.name} (segmenter {meta.get('segmenter', '?')})")
            return masks
    bundle = segmenter or find_anatomy_bundle()
    if bundle is None:
        raise WeightsError("--attention-anatomy needs the segmenter bundle (weights/cxr_anatomy) and it is absent")
    runner = AnatomyRunner(bundle, device="cpu")
    log(f"heart masks: segmenting {len(samples)} training images with {runner.model_id}")
    masks = compute_heart_masks(samples, size, runner, progress=True)
    atomic_write_bytes(
        path, save({"heart": masks}, metadata={"paths_sha256": digest, "segmenter": runner.model_id}), overwrite=True
    )
    return masks


def attention_target(heart: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """(N, 1, H, W) heart masks in [0, 1] -> the share of each attention cell covered by heart, (N, 1, h, w)."""
    return F.adaptive_avg_pool2d(heart.float(), grid).clamp_(0.0, 1.0)


def anatomy_loss(attention: torch.Tensor, heart: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of W (N, 1, h, w, a sigmoid output) against the heart's cover of each cell."""
    target = attention_target(heart, attention.shape[-2:])
    return F.binary_cross_entropy(attention.float().clamp(1e-6, 1 - 1e-6), target)

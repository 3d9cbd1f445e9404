"""Train/validation/test splits that keep related images on one side.

cxr128 has no patient ids, so follow-up films of one patient could sit on both
sides of a split and flatter validation. :func:`near_duplicate_groups` finds
them from the correlation of small thumbnails and joins them with union-find;
:func:`stratified_group_split` then splits whole groups, stratified by label.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from cardioview.training.classifier.data import Sample

#: Pearson correlation of 16x16 thumbnails above which two images count as one group.
#: Measured on cxr128: random pairs correlate at a median 0.57, each image's nearest
#: neighbour at a median 0.90 (equalised chests look alike) with no separate
#: duplicate mode; 0.95 keeps the top ~2 % tail together (94 images in 38 groups),
#: which is where re-takes and follow-ups of one patient land.
DUPLICATE_CORRELATION = 0.95
THUMBNAIL = 16


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def thumbnails(images: torch.Tensor, size: int = THUMBNAIL) -> torch.Tensor:
    """(N, H, W) uint8/float images -> (N, size*size) zero-mean unit-norm rows (area averaging)."""
    x = F.adaptive_avg_pool2d(images.float().unsqueeze(1), size).flatten(1)
    x = x - x.mean(dim=1, keepdim=True)
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-6)


def near_duplicate_groups(
    images: torch.Tensor, threshold: float = DUPLICATE_CORRELATION, chunk: int = 1024
) -> list[int]:
    """Group index per image: images whose thumbnails correlate above ``threshold``, joined transitively.

    Returns:
        list of length N; equal numbers = same group (numbered 0..G-1 in order of first appearance).
    """
    t = thumbnails(images)
    n = t.shape[0]
    uf = _UnionFind(n)
    for start in range(0, n, chunk):
        corr = t[start : start + chunk] @ t.T
        rows, cols = torch.nonzero(corr > threshold, as_tuple=True)
        for r, c in zip((rows + start).tolist(), cols.tolist()):
            if r < c:
                uf.union(r, c)
    ids: dict[int, int] = {}
    return [ids.setdefault(uf.find(i), len(ids)) for i in range(n)]


def with_groups(samples: list[Sample], groups: list[int]) -> list[Sample]:
    return [replace(s, group=f"dup{g}") for s, g in zip(samples, groups)]


def stratified_group_split(samples: list[Sample], fractions: tuple[float, ...], seed: int = 0) -> list[list[int]]:
    """Split sample indices into len(fractions) parts; whole groups move together.

    Groups are visited in a seeded random order (largest first, so big groups
    cannot upset the balance at the end); each goes to the part whose share of
    that group's majority label is furthest below its target.

    Args:
        samples: with ``group`` set (an empty group = the sample alone).
        fractions: e.g. (0.70, 0.15, 0.15), summing to 1.
        seed: shuffling seed; the same seed gives the same split.

    Returns:
        one sorted index list per part.
    """
    if abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must sum to 1, got {fractions}")
    members: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        members[s.group or f"#{i}"].append(i)
    keys = sorted(members)
    random.Random(seed).shuffle(keys)
    keys.sort(key=lambda k: -len(members[k]))  # stable: random order within one size
    totals = np.bincount([s.label for s in samples], minlength=2).astype(float)
    counts = np.zeros((len(fractions), 2))
    parts: list[list[int]] = [[] for _ in fractions]
    for k in keys:
        idx = members[k]
        label = int(round(np.mean([samples[i].label for i in idx])))
        deficit = [fractions[p] * totals[label] - counts[p, label] for p in range(len(fractions))]
        p = int(np.argmax(deficit))
        parts[p].extend(idx)
        for i in idx:
            counts[p, samples[i].label] += 1
    return [sorted(p) for p in parts]


def patient_split(samples: list[Sample], fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Split by ``group`` (patient id) into (rest, held-out ~fraction of patients), NIH style."""
    patients = sorted({s.group for s in samples})
    random.Random(seed).shuffle(patients)
    held = set(patients[: int(round(fraction * len(patients)))])
    rest = [i for i, s in enumerate(samples) if s.group not in held]
    out = [i for i, s in enumerate(samples) if s.group in held]
    return rest, out


def group_stats(groups: list[int]) -> dict:
    """How many groups, how many have more than one image, the largest."""
    sizes = np.bincount(groups)
    return {
        "images": len(groups),
        "groups": int(len(sizes)),
        "multi_image_groups": int((sizes > 1).sum()),
        "images_in_multi_groups": int(sizes[sizes > 1].sum()),
        "largest_group": int(sizes.max()) if len(sizes) else 0,
    }

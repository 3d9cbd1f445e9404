"""Connected components of a binary mask in numpy (no scipy in the clinical bundle).

Run-length labelling: each row's runs are unioned with the overlapping runs of the
row above (8-connectivity), so the Python work scales with the number of runs.
"""

from __future__ import annotations

import numpy as np


def _runs(mask: np.ndarray) -> tuple[list[int], list[int], list[int], list[int]]:
    """Every horizontal run of the mask, found in one pass: (row offsets, starts, ends, rows).

    ``offsets[y]:offsets[y + 1]`` indexes row y's runs; ends are exclusive.
    """
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    ys, starts = np.nonzero(d == 1)  # row-major, so each row's starts and ends pair up in order
    _, ends = np.nonzero(d == -1)
    offsets = np.searchsorted(ys, np.arange(h + 1)).tolist()
    return offsets, starts.tolist(), ends.tolist(), ys.tolist()


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected labels (H, W) int32 (0 = background) and the number of components."""
    mask = np.ascontiguousarray(mask, dtype=bool)
    offsets, starts, ends, ys = _runs(mask)
    parent: list[int] = [0]

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    labels = [0] * len(starts)
    for y in range(mask.shape[0]):
        prev = range(offsets[y - 1], offsets[y]) if y else range(0)
        for i in range(offsets[y], offsets[y + 1]):
            s, e, lab = starts[i], ends[i], 0
            for j in prev:
                if starts[j] <= e and ends[j] >= s:  # overlap including diagonal neighbours
                    if lab == 0:
                        lab = find(labels[j])
                    else:
                        a, b = find(lab), find(labels[j])
                        if a != b:
                            parent[max(a, b)] = min(a, b)
                            lab = min(a, b)
            if lab == 0:
                parent.append(len(parent))
                lab = len(parent) - 1
            labels[i] = lab
    roots: dict[int, int] = {}
    out = np.zeros(mask.shape, dtype=np.int32)
    for i, lab in enumerate(labels):
        out[ys[i], starts[i] : ends[i]] = roots.setdefault(find(lab), len(roots) + 1)
    return out, len(roots)


def largest_component(mask: np.ndarray) -> tuple[np.ndarray, float]:
    """The largest 8-connected component, and its share of the mask's pixels (1.0 for one blob; 0 for empty)."""
    labels, n = label(mask)
    if n == 0:
        return np.zeros(mask.shape, dtype=bool), 0.0
    sizes = np.bincount(labels.ravel())[1:]
    k = int(np.argmax(sizes))
    return labels == k + 1, float(sizes[k] / sizes.sum())

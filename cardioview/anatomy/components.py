"""Connected components of a binary mask in numpy (no scipy in the clinical bundle).

Run-length labelling: each row's runs are unioned with the overlapping runs of the
row above (8-connectivity), so the Python work scales with the number of runs.
"""

from __future__ import annotations

import numpy as np


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate(([0], row.view(np.int8), [0])))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist()))


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected labels (H, W) int32 (0 = background) and the number of components."""
    mask = np.ascontiguousarray(mask, dtype=bool)
    parent: list[int] = [0]

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    rows: list[list[tuple[int, int, int]]] = []
    prev: list[tuple[int, int, int]] = []
    for y in range(mask.shape[0]):
        cur = []
        for s, e in _runs(mask[y]):
            lab = 0
            for ps, pe, pl in prev:
                if ps <= e and pe >= s:  # overlap including diagonal neighbours
                    if lab == 0:
                        lab = find(pl)
                    else:
                        a, b = find(lab), find(pl)
                        if a != b:
                            parent[max(a, b)] = min(a, b)
                            lab = min(a, b)
            if lab == 0:
                parent.append(len(parent))
                lab = len(parent) - 1
            cur.append((s, e, lab))
        rows.append(cur)
        prev = cur
    roots = {}
    out = np.zeros(mask.shape, dtype=np.int32)
    for y, cur in enumerate(rows):
        for s, e, lab in cur:
            r = find(lab)
            out[y, s:e] = roots.setdefault(r, len(roots) + 1)
    return out, len(roots)


def largest_component(mask: np.ndarray) -> tuple[np.ndarray, float]:
    """The largest 8-connected component, and its share of the mask's pixels (1.0 for one blob; 0 for empty)."""
    labels, n = label(mask)
    if n == 0:
        return np.zeros(mask.shape, dtype=bool), 0.0
    sizes = np.bincount(labels.ravel())[1:]
    k = int(np.argmax(sizes))
    return labels == k + 1, float(sizes[k] / sizes.sum())

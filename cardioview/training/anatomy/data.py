"""Heart/lung segmentation data: the jsrt/ + wingspan/ layout, a seeded split, cached tensors.

Layout (../shared/data/heart-lung): ``<source>/png/NAME.png`` and
``<source>/mask/{heart,right_lung,left_lung}/NAME.png`` (0/255, anti-aliased edges
thresholded at 128), optional ``<source>/ctr.csv`` (image,ctr).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cardioview.imageops import resize_gray
from cardioview.inference.preprocess import prepare_gray
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.model.segmenter import CHANNELS

SOURCES = ("jsrt", "wingspan")


class AnatomyDataError(ValueError):
    """The folder is not a heart-lung data set."""


@dataclass(frozen=True)
class Item:
    source: str
    name: str
    image: Path
    masks: tuple[Path, Path, Path]  # in CHANNELS order
    ctr: float | None  # key-point CTR where the source has one

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"


def read_ctr_csv(path: Path) -> dict[str, float]:
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row["image"]: float(row["ctr"]) for row in csv.DictReader(f) if row.get("ctr")}


def scan(root: Path) -> list[Item]:
    """Every image with all three masks, in a stable order."""
    items = []
    for source in SOURCES:
        folder = root / source
        if not (folder / "png").is_dir():
            continue
        ctr = read_ctr_csv(folder / "ctr.csv")
        for image in sorted((folder / "png").glob("*.png")):
            masks = tuple(folder / "mask" / ch / image.name for ch in CHANNELS)
            if all(m.is_file() for m in masks):
                items.append(Item(source, image.name, image, masks, ctr.get(image.name)))
    if not items:
        raise AnatomyDataError(f"{root}: no <jsrt|wingspan>/png/*.png with mask/heart, right_lung, left_lung")
    return items


def split(items: list[Item], seed: int, fractions=(0.7, 0.1, 0.2)) -> dict[str, list[str]]:
    """Seeded train/val/test split, stratified by source (and by having a key-point CTR)."""
    rng = random.Random(seed)
    out = {"train": [], "val": [], "test": []}
    groups: dict[tuple, list[str]] = {}
    for it in items:
        groups.setdefault((it.source, it.ctr is not None), []).append(it.key)
    for key in sorted(groups):
        keys = sorted(groups[key])
        rng.shuffle(keys)
        n_val = round(len(keys) * fractions[1])
        n_test = round(len(keys) * fractions[2])
        out["test"] += keys[:n_test]
        out["val"] += keys[n_test : n_test + n_val]
        out["train"] += keys[n_test + n_val :]
    return {k: sorted(v) for k, v in out.items()}


def load_mask(path: Path) -> np.ndarray:
    """bool (H, W) at the file's own size."""
    return np.asarray(Image.open(path).convert("L")) >= 128


def load_image(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def load_arrays(items: list[Item], spec: PreprocessSpec) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, S, S) float32 in [0, 1] via the inference preprocessing, masks (N, 3, S, S) float32 soft."""
    size = (spec.input_size, spec.input_size)
    xs, ys = [], []
    for it in items:
        xs.append(prepare_gray(load_image(it.image), spec, size))
        ys.append(np.stack([resize_gray(load_mask(m).astype(np.float32), size) for m in it.masks]))
    return np.stack(xs).astype(np.float32), np.stack(ys).astype(np.float32)

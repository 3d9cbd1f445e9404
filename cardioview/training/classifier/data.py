"""Training data: labelled image lists from either layout, and the preprocessed image cache.

Two layouts are accepted (see :func:`discover`):

* a folder with ``labels.csv`` (``path,label``; 1 = cardiomegaly), paths relative to it;
* the NIH ChestX-ray14 layout (``nih.py``).

Every image goes through :func:`cardioview.inference.preprocess.prepare_gray`
exactly once (the same code the Predictor runs) and is kept as uint8 in one
tensor, so an epoch costs no decoding.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from cardioview.errors import ImageLoadError
from cardioview.inference.preprocess import prepare_gray
from cardioview.model.preprocess_spec import PreprocessSpec

LABELS_CSV = "labels.csv"


@dataclass(frozen=True)
class Sample:
    """One labelled image.

    Attributes:
        path: the image file.
        label: 1 = cardiomegaly, 0 = not.
        group: images that must stay on one side of a split (patient id, or a
            near-duplicate group); "" until assigned.
    """

    path: Path
    label: int
    group: str = ""


class DataError(ValueError):
    """The data folder or its label file is unusable; the message names the file."""


def read_labels_csv(csv_path: Path) -> list[Sample]:
    """Read ``path,label`` rows; paths are relative to the CSV's folder.

    Extra columns are ignored; a ``patient_id`` column, when present, becomes the group.

    Raises:
        DataError: missing file, missing columns, a label other than 0/1, or no rows.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DataError(f"{csv_path}: label file not found")
    samples = []
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"path", "label"} <= set(reader.fieldnames):
            raise DataError(f"{csv_path}: needs a header with 'path' and 'label' columns")
        for line, row in enumerate(reader, start=2):
            label = (row.get("label") or "").strip()
            if label not in ("0", "1"):
                raise DataError(f"{csv_path}: line {line}: label must be 0 or 1, got {label!r}")
            group = (row.get("patient_id") or "").strip()
            samples.append(Sample(csv_path.parent / row["path"].strip(), int(label), group))
    if not samples:
        raise DataError(f"{csv_path}: no rows")
    return samples


def read_gray(path: Path) -> np.ndarray:
    """Decode a PNG/JPEG to display-ready gray: uint8 as is, 16-bit scaled to float32 [0, 1].

    Raises:
        ImageLoadError: unreadable or not an image.
    """
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageLoadError(path, "cannot be decoded as an image")
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        image = cv2.cvtColor(image, code)
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image.astype(np.float32) / 65535.0).astype(np.float32)
    raise ImageLoadError(path, f"unsupported pixel type {image.dtype}")


def prepare_images(samples: list[Sample], spec: PreprocessSpec, size: int, progress: bool = False) -> torch.Tensor:
    """Preprocess every sample once: uint8 tensor (N, size, size).

    The float result of ``prepare_gray`` (in [0, 1]) is stored as round(255 x);
    the quantisation (<= 0.2 % of the range) is far below the augmentation noise.
    """
    out = torch.empty((len(samples), size, size), dtype=torch.uint8)
    iterator = range(len(samples))
    if progress:
        iterator = tqdm(iterator, desc=f"preprocessing {size}px", unit="img", leave=False)
    for i in iterator:
        gray = prepare_gray(read_gray(samples[i].path), spec, (size, size))
        out[i] = torch.from_numpy(np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8))
    return out


def labels_tensor(samples: list[Sample]) -> torch.Tensor:
    return torch.tensor([s.label for s in samples], dtype=torch.float32)


def is_nih_layout(root: Path) -> bool:
    return any(Path(root).glob("Data_Entry_2017*.csv*"))


def describe_counts(samples: list[Sample]) -> str:
    pos = sum(s.label for s in samples)
    return f"{len(samples)} images ({pos} cardiomegaly, {len(samples) - pos} other)"

"""The NIH ChestX-ray14 layout as NIH ships it.

    ROOT/Data_Entry_2017*.csv[.gz]     Image Index, Finding Labels (pipe-separated), Patient ID, ...
    ROOT/train_val_list.txt            official patient-wise train+validation images
    ROOT/test_list.txt                 official test images
    ROOT/images*/.../*.png             the images (any folder depth, e.g. images_001/images/)

Cardiomegaly (label 1) vs "No Finding" (label 0), as in the paper; images with
other findings only are left out. Each sample's group is its patient id.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from cardioview.training.classifier.data import DataError, Sample

POSITIVE = "Cardiomegaly"
NEGATIVE = "No Finding"


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def find_entry_csv(root: Path) -> Path:
    candidates = sorted(Path(root).glob("Data_Entry_2017*.csv*"))
    if not candidates:
        raise DataError(f"{root}: no Data_Entry_2017*.csv (not an NIH ChestX-ray14 folder)")
    return candidates[0]


def read_entries(csv_path: Path) -> dict[str, tuple[int, str]]:
    """Image name -> (label, patient id) for cardiomegaly and No-Finding images."""
    out: dict[str, tuple[int, str]] = {}
    with _open_text(csv_path) as f:
        reader = csv.DictReader(f)
        needed = {"Image Index", "Finding Labels", "Patient ID"}
        if reader.fieldnames is None or not needed <= set(reader.fieldnames):
            raise DataError(f"{csv_path}: needs columns {', '.join(sorted(needed))}")
        for row in reader:
            findings = row["Finding Labels"].split("|")
            if POSITIVE in findings:
                label = 1
            elif findings == [NEGATIVE]:
                label = 0
            else:
                continue
            out[row["Image Index"].strip()] = (label, row["Patient ID"].strip())
    return out


def read_list(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f"{path}: official split list not found")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def index_images(root: Path) -> dict[str, Path]:
    """Image file name -> path, for every PNG below root."""
    return {p.name: p for p in Path(root).rglob("*.png")}


def read_nih(root: Path) -> tuple[list[Sample], list[Sample]]:
    """(train_val samples, official test samples) present on disk.

    Raises:
        DataError: missing metadata or lists, or none of the listed images found.
    """
    root = Path(root)
    entries = read_entries(find_entry_csv(root))
    files = index_images(root)

    def samples(names: list[str]) -> list[Sample]:
        return [Sample(files[n], entries[n][0], entries[n][1]) for n in names if n in entries and n in files]

    train_val = samples(read_list(root / "train_val_list.txt"))
    test = samples(read_list(root / "test_list.txt"))
    if not train_val:
        raise DataError(f"{root}: none of the cardiomegaly/No-Finding images in train_val_list.txt were found")
    return train_val, test

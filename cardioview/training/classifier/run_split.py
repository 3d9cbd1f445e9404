"""One call from a data folder to train/validation/test sample lists, with the split saved.

The split is written as three ``path,label`` CSVs (absolute paths) in the run
folder, so ``cardioview evaluate --labels RUN/test.csv`` scores exactly the
images training never touched.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from cardioview.atomic import atomic_write_text
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.training.classifier import nih
from cardioview.training.classifier.data import (
    LABELS_CSV,
    DataError,
    Sample,
    is_nih_layout,
    prepare_images,
    read_labels_csv,
)
from cardioview.training.classifier.grouped_split import (
    group_stats,
    near_duplicate_groups,
    patient_split,
    stratified_group_split,
    with_groups,
)

SPLIT_NAMES = ("train", "val", "test")


@dataclass
class DataSplit:
    """Samples per split and how they were made.

    Attributes:
        train, val, test: the samples (test may be empty for a folder split 100/0/0).
        layout: "labels-csv" or "nih".
        grouping: how groups were formed and, for near-duplicates, group statistics.
    """

    train: list[Sample]
    val: list[Sample]
    test: list[Sample]
    layout: str
    grouping: dict

    def parts(self) -> dict[str, list[Sample]]:
        return {"train": self.train, "val": self.val, "test": self.test}


def _take(samples: list[Sample], limit: int) -> list[Sample]:
    """First ``limit`` samples per label (balanced smoke tests); 0 = all."""
    if not limit:
        return samples
    per = max(1, limit // 2)
    pos = [s for s in samples if s.label == 1][:per]
    neg = [s for s in samples if s.label == 0][: limit - len(pos)]
    return pos + neg


def split_data(
    data: Path, fractions=(0.70, 0.15, 0.15), val_fraction: float = 0.10, seed: int = 0, limit: int = 0
) -> DataSplit:
    """Build the split for either layout.

    labels.csv folder: near-duplicate groups (or a patient_id column) kept whole,
    stratified by label. NIH layout: official test list; validation = ``val_fraction``
    of train_val patients.

    Raises:
        DataError: the folder is neither layout, or the files are unusable.
    """
    data = Path(data)
    if (data / LABELS_CSV).is_file():
        samples = _take(read_labels_csv(data / LABELS_CSV), limit)
        if all(s.group for s in samples):
            grouping = {"method": "patient_id column"}
        else:
            # thumbnails only need the native image, not the training size
            thumbs = prepare_images(samples, PreprocessSpec(64, equalize=True), 64)
            groups = near_duplicate_groups(thumbs)
            samples = with_groups(samples, groups)
            grouping = {
                "method": "near-duplicate thumbnails (16x16 correlation > 0.95, union-find)",
                **group_stats(groups),
            }
        parts = stratified_group_split(samples, tuple(fractions), seed)
        train, val, test = ([samples[i] for i in p] for p in parts)
        return DataSplit(train, val, test, "labels-csv", grouping)
    if is_nih_layout(data):
        train_val, test = nih.read_nih(data)
        train_val, test = _take(train_val, limit), _take(test, limit // 4 if limit else 0)
        rest, held = patient_split(train_val, val_fraction, seed)
        return DataSplit(
            [train_val[i] for i in rest],
            [train_val[i] for i in held],
            test,
            "nih",
            {"method": f"patient id (official test list; validation {val_fraction:.0%} of train_val patients)"},
        )
    raise DataError(f"{data}: neither a folder with {LABELS_CSV} nor an NIH ChestX-ray14 root (Data_Entry_2017*.csv)")


def labels_csv_text(samples: list[Sample]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "label", "group"])
    for s in samples:
        w.writerow([str(Path(s.path).resolve()), s.label, s.group])
    return buf.getvalue()


def write_split(split: DataSplit, out: Path) -> None:
    """RUN/train.csv, RUN/val.csv, RUN/test.csv."""
    for name, samples in split.parts().items():
        atomic_write_text(Path(out) / f"{name}.csv", labels_csv_text(samples), overwrite=True)


def read_split(out: Path) -> DataSplit:
    """Read back a split written by :func:`write_split` (resume, evaluation of a run)."""
    parts = {}
    for name in SPLIT_NAMES:
        p = Path(out) / f"{name}.csv"
        parts[name] = read_labels_csv(p) if p.is_file() and p.stat().st_size > len("path,label,group\n") else []
    if not parts["train"]:
        raise DataError(f"{out}: no train.csv from an earlier run")
    return DataSplit(parts["train"], parts["val"], parts["test"], "saved", {"method": "read from run folder"})

"""A miniature NIH ChestX-ray14 folder, laid out as NIH ships it, built from real cxr128 images."""

from __future__ import annotations

import shutil
from pathlib import Path

from cardioview.training.classifier.data import read_labels_csv

HEADER = (
    "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
    "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]\n"
)

# name, findings, patient; test patients 7-8 follow NIH's patient-wise official split
ROWS = [
    (f"{p:08d}_{k:03d}.png", f, p)
    for p, k, f in [
        (1, 0, "Cardiomegaly"),
        (1, 1, "Cardiomegaly|Effusion"),
        (2, 0, "No Finding"),
        (2, 1, "Effusion"),
        (3, 0, "No Finding"),
        (3, 1, "No Finding"),
        (4, 0, "Cardiomegaly"),
        (4, 1, "No Finding"),
        (5, 0, "Cardiomegaly|Edema"),
        (5, 1, "No Finding"),
        (6, 0, "No Finding"),
        (6, 1, "Cardiomegaly"),
        (7, 0, "Cardiomegaly"),
        (7, 1, "No Finding"),
        (8, 0, "No Finding"),
        (8, 1, "Cardiomegaly"),
        (9, 0, "Atelectasis"),
    ]
]
MISSING = "00000009_000.png"  # listed but not on disk, as in a partial download


def build_nih_fixture(root: Path, cxr128: Path) -> Path:
    """root/Data_Entry_2017_v2020.csv, train_val_list.txt, test_list.txt, images_001/images/*.png."""
    images = root / "images_001" / "images"
    images.mkdir(parents=True)
    real = read_labels_csv(cxr128 / "labels.csv")
    pos = [s.path for s in real if s.label == 1]
    neg = [s.path for s in real if s.label == 0]
    lines = [HEADER]
    for i, (name, findings, patient) in enumerate(ROWS):
        if name != MISSING:
            source = pos[i] if "Cardiomegaly" in findings else neg[i]
            shutil.copyfile(source, images / name)
        lines.append(f"{name},{findings},0,{patient},50,M,PA,2500,2048,0.143,0.143\n")
    (root / "Data_Entry_2017_v2020.csv").write_text("".join(lines))
    test = [r[0] for r in ROWS if r[2] in (7, 8)]
    (root / "test_list.txt").write_text("\n".join(test) + "\n")
    (root / "train_val_list.txt").write_text("\n".join(r[0] for r in ROWS if r[0] not in test) + "\n")
    return root

"""Dated studies of real films for the comparison tests (issue 23), as DICOM with PatientID/StudyDate/ViewPosition.

- NIH patient 4342 (nih-boxes): films 002 (AP), 020 (PA) and 023 (PA), the views NIH records; the follow-up
  number orders them, so each gets a study one year apart (2019, 2020, 2021).
- pydicom-data RG1_UNCR (a real CR chest film) as a second patient with two studies on the same day, told
  apart by Study Time.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pydicom
import pytest
from pydicom.uid import generate_uid

from tests.dicom_factory import SHARED_DATA, pydicom_file, write_dicom

NIH_BOXES = SHARED_DATA / "nih-boxes" / "images"
#: (file, view as NIH records it, study date)
NIH_PATIENT = "NIH-4342"
NIH_FILMS = (
    ("00004342_002.png", "AP", "20190310"),
    ("00004342_020.png", "PA", "20200412"),
    ("00004342_023.png", "PA", "20210515"),
)
CR_PATIENT = "CR-RG1"


def nih_film(name: str):
    path = NIH_BOXES / name
    if not path.is_file():
        pytest.skip(f"NIH films not found at {NIH_BOXES} (../shared/data is absent in a fresh clone)")
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def nih_patient_studies(folder: Path, size: int = 512) -> list[Path]:
    """The three NIH films of patient 4342 as dated CR studies (downsized to ``size`` px for speed), oldest first."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (name, view, date) in enumerate(NIH_FILMS):
        pixels = cv2.resize(nih_film(name), (size, size), interpolation=cv2.INTER_AREA)
        paths.append(
            write_dicom(
                folder / f"{Path(name).stem}.dcm",
                pixels,
                view=view,
                patient_name="Nih^Fourthree",
                extra={
                    "PatientID": NIH_PATIENT,
                    "StudyDate": date,
                    "StudyTime": "101500",
                    "StudyInstanceUID": generate_uid(),
                    "AccessionNumber": f"A{index}",
                },
            )
        )
    return paths


def cr_patient_studies(folder: Path) -> list[Path]:
    """RG1_UNCR twice for one patient, one day, 08:00 and 16:30 (PA, then AP), oldest first."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for time, view in (("080000", "PA"), ("163000", "AP")):
        ds = pydicom.dcmread(pydicom_file("RG1_UNCR.dcm"))
        ds.PatientID, ds.PatientName, ds.StudyDate, ds.StudyTime, ds.ViewPosition = (
            CR_PATIENT,
            "Cr^Patient",
            "20240102",
            time,
            view,
        )
        ds.StudyInstanceUID, ds.SOPInstanceUID = generate_uid(), generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        path = folder / f"rg1_{time}.dcm"
        ds.save_as(path)
        paths.append(path)
    return paths

"""Rebuild the sample images shipped in resources/samples/ (see SOURCES.md).

Run from the repository root with the project's environment:

    python resources/samples/make_samples.py [--nih ../shared/data/nih1024/images]

Deterministic: the same inputs give byte-identical outputs (UIDs are derived
from fixed strings, PNGs are written by OpenCV with fixed settings).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cardioview.atomic import atomic_write_bytes

HERE = Path(__file__).resolve().parent
DEFAULT_NIH = HERE.parents[2] / "shared" / "data" / "nih1024" / "images"
SIDE = 512

#: output name -> NIH image (label from the NIH Data_Entry_2017 table)
NIH_SAMPLES = {
    "nih_00000001_000_cardiomegaly.png": "00000001_000.png",  # Cardiomegaly, PA
    "nih_00000002_000_no_finding.png": "00000002_000.png",  # No Finding, PA
}
DICOM_SAMPLE = "rg1_cr_chest_pa_monochrome1.dcm"


def make_nih_png(source: Path) -> bytes:
    """1024 px 8-bit gray NIH PNG -> 512 px 8-bit gray PNG (area averaging)."""
    image = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    if image is None or image.dtype != np.uint8 or image.ndim != 2:
        raise SystemExit(f"{source}: expected an 8-bit gray PNG")
    small = cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".png", small, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise SystemExit("PNG encoding failed")
    return encoded.tobytes()


def make_rg1_dicom() -> bytes:
    """pydicom-data RG1_UNCR (CR chest PA, MONOCHROME1, 15-bit, 1955x1841) -> 512 px rows.

    Stored values are area-averaged, so the header's window (15000/30000) and
    MONOCHROME1 still apply unchanged.
    """
    ds = pydicom.dcmread(get_testdata_file("RG1_UNCR.dcm"))
    stored = ds.pixel_array.astype(np.float32)
    rows = SIDE
    columns = round(ds.Columns * SIDE / ds.Rows)
    small = cv2.resize(stored, (columns, rows), interpolation=cv2.INTER_AREA)
    small = np.clip(np.rint(small), 0, 2**ds.BitsStored - 1).astype(np.uint16)

    def uid(role: str) -> str:
        return generate_uid(entropy_srcs=["cardioview-sample", "RG1_UNCR", role])

    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid("sop")
    ds.SeriesInstanceUID = uid("series")
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.DerivationDescription = f"Downsampled from 1955x1841 to {columns}x{rows} (area averaging) for CardioView"
    ds.ImageComments = "CardioView sample derived from pydicom-data RG1_UNCR.dcm"
    ds.PatientName = "Anonymous^Sample"
    ds.PatientID = "CARDIOVIEW-SAMPLE-1"
    for keyword in (
        "PatientBirthDate",
        "OtherPatientIDs",
        "ReferringPhysicianName",
        "AccessionNumber",
        "InstitutionName",
        "InstitutionalDepartmentName",
        "StationName",
        "DeviceSerialNumber",
        "PixelSpacing",
        "DataSetTrailingPadding",
    ):
        if keyword in ds:
            delattr(ds, keyword)  # PixelSpacing was 0\0 (unknown), invalid once resampled anyway
    ds.Rows, ds.Columns = rows, columns
    ds.PixelData = small.tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationVersionName = "CARDIOVIEW"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / DICOM_SAMPLE
        ds.save_as(out, enforce_file_format=True)
        return out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nih", type=Path, default=DEFAULT_NIH, help="folder of the 1024 px NIH PNGs")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = parser.parse_args()
    outputs = {name: make_nih_png(args.nih / source) for name, source in NIH_SAMPLES.items()}
    outputs[DICOM_SAMPLE] = make_rg1_dicom()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in outputs.items():
        atomic_write_bytes(args.out / name, data, overwrite=True)
        print(f"{name}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()

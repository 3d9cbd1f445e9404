"""Build synthetic-from-real DICOM test files with pydicom (for any test folder).

The pixels come from real images (NIH PNGs, pydicom test files); only the
encoding is synthetic. :func:`nih_variants` writes one 8-bit chest X-ray as a
PNG and as four DICOM encodings that all display as ``v / 255``, so loaders
and predictors can be checked for giving the same answer whatever the wrapper.

Usage in a test::

    from tests.dicom_factory import nih_image, nih_variants
    paths = nih_variants(nih_image(), tmp_path)   # {"png": ..., "mono1": ...}
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ComputedRadiographyImageStorage, CTImageStorage, ExplicitVRLittleEndian, generate_uid

#: ../shared/data beside the repository (absent in a user's fresh clone).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NIH1024 = SHARED_DATA / "nih1024" / "images"

#: 8-bit value v is stored as v*16 + 1000 with slope 0.5 and intercept -500, so
#: the modality value is 8v; a LINEAR window with centre 1020.5 and width 2041
#: maps 0..2040 exactly onto 0..1 (PS3.3 C.11.2.1.2.1), i.e. back to v/255.
RESCALED = dict(slope=0.5, intercept=-500.0, window_center=1020.5, window_width=2041.0)


def pydicom_file(name: str) -> Path:
    """A pydicom / pydicom-data test file (e.g. "RG1_UNCR.dcm"); skips when it is not installed."""
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} not available (install pydicom-data)")
    return Path(path)


#: (pydicom-data file, name in the folder) of :func:`not_applicable_folder`: only the chest CR is for the model.
MODALITY_MIX = (
    ("emri_small.dcm", "mr_head.dcm"),
    ("CT_small.dcm", "ct.dcm"),
    ("RG3_UNCR.dcm", "tibia_cr.dcm"),
    ("RG1_UNCR.dcm", "chest_cr.dcm"),
)


def not_applicable_folder(folder: Path) -> Path:
    """``folder`` (created) with real films the model does not apply to (an MR head, a CT, a tibia CR) and one
    it reads (a chest CR), named as in :data:`MODALITY_MIX`; skips without pydicom-data."""
    import shutil

    folder.mkdir(parents=True)
    for name, target in MODALITY_MIX:
        shutil.copy(pydicom_file(name), folder / target)
    return folder


def region_mean(pixels: np.ndarray, top: float, bottom: float, left: float, right: float) -> float:
    """Mean of a box given as fractions of the image height and width."""
    h, w = pixels.shape
    return float(pixels[int(top * h) : int(bottom * h), int(left * w) : int(right * w)].mean())


def nih_image(name: str = "00000001_000.png") -> np.ndarray:
    """A 1024 px NIH chest X-ray as uint8 (H, W); skips the test when the data is absent."""
    path = NIH1024 / name
    if not path.is_file():
        pytest.skip(f"NIH images not found at {NIH1024} (../shared/data is absent in a fresh clone)")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None and image.dtype == np.uint8 and image.ndim == 2, path
    return image


def write_dicom(
    path: Path,
    stored: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    bits_stored: int | None = None,
    slope: float | None = None,
    intercept: float | None = None,
    windows: Iterable[tuple[float, float, str]] = (),
    modality: str = "CR",
    body_part: str = "CHEST",
    view: str = "PA",
    rows: int | None = None,
    columns: int | None = None,
    pixel_data: bytes | None = None,
    patient_name: str = "Test^Factory",
    extra: dict | None = None,
) -> Path:
    """Write a valid DICOM Part 10 file (Explicit VR Little Endian) around ``stored`` samples.

    Args:
        path: output file.
        stored: uint8/uint16/int16 (H, W) gray, or uint8 (H, W, 3) for RGB.
        photometric: MONOCHROME1, MONOCHROME2 or RGB.
        bits_stored: defaults to the dtype's width.
        slope, intercept: Rescale Slope/Intercept (both or neither).
        windows: (centre, width, explanation) triples, first = default.
        rows, columns: override the declared size (e.g. a gigantic header).
        pixel_data: override the Pixel Data bytes (None = ``stored``; b"" = omit the element).
        extra: further keyword -> value pairs set on the dataset.
    """
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    sop_class = CTImageStorage if modality == "CT" else ComputedRadiographyImageStorage
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.PatientSex, ds.PatientAge = patient_name, "FACTORY-1", "O", "050Y"
    ds.StudyDate, ds.StudyDescription, ds.SeriesDescription = "20240102", "Factory study", "Factory series"
    ds.Modality, ds.BodyPartExamined, ds.ViewPosition, ds.Manufacturer = modality, body_part, view, "Factory"
    ds.SeriesNumber, ds.InstanceNumber = 1, 1

    samples = 3 if stored.ndim == 3 else 1
    ds.SamplesPerPixel = samples
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows if rows is not None else stored.shape[0]
    ds.Columns = columns if columns is not None else stored.shape[1]
    ds.BitsAllocated = stored.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if np.issubdtype(stored.dtype, np.signedinteger) else 0
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = slope, intercept, "US"
    windows = list(windows)
    if windows:
        ds.WindowCenter = [w[0] for w in windows] if len(windows) > 1 else windows[0][0]
        ds.WindowWidth = [w[1] for w in windows] if len(windows) > 1 else windows[0][1]
        ds.WindowCenterWidthExplanation = [w[2] for w in windows] if len(windows) > 1 else windows[0][2]
    for keyword, value in (extra or {}).items():
        setattr(ds, keyword, value)
    data = (
        np.ascontiguousarray(stored).astype(stored.dtype.newbyteorder("<")).tobytes()
        if pixel_data is None
        else pixel_data
    )
    if data:
        ds.PixelData = data + (b"\0" if len(data) % 2 else b"")
        ds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
    ds.save_as(path, enforce_file_format=True)
    return path


def nih_variants(image: np.ndarray, folder: Path) -> dict[str, Path]:
    """One 8-bit gray image as PNG and four DICOMs that all display as ``image / 255``.

    Keys: "png"; "mono2" (v*257, 16-bit, no window: min-max, exact when the
    image spans 0..255); "mono1" ((255-v)*257, MONOCHROME1, no window);
    "mono2_windowed" and "mono1_windowed" (rescale + window, see RESCALED; the
    MONOCHROME1 one stores 255-v, so a loader that inverts before windowing fails).
    """
    folder.mkdir(parents=True, exist_ok=True)
    v = image.astype(np.uint16)
    png = folder / "image.png"
    assert cv2.imwrite(str(png), image)
    window = [
        (RESCALED["window_center"], RESCALED["window_width"], "maps back to 8-bit"),
        (40.0, 400.0, "a second window that must not be applied by default"),
    ]
    rescale = dict(slope=RESCALED["slope"], intercept=RESCALED["intercept"])
    return {
        "png": png,
        "mono2": write_dicom(folder / "mono2.dcm", v * 257),
        "mono1": write_dicom(folder / "mono1.dcm", (255 - v) * 257, photometric="MONOCHROME1"),
        "mono2_windowed": write_dicom(
            folder / "mono2_windowed.dcm", v * 16 + 1000, bits_stored=13, windows=window, **rescale
        ),
        "mono1_windowed": write_dicom(
            folder / "mono1_windowed.dcm",
            (255 - v) * 16 + 1000,
            bits_stored=13,
            photometric="MONOCHROME1",
            windows=window,
            **rescale,
        ),
    }

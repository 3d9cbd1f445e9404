"""Real chest films for the network tests: pydicom-data's RG1_UNCR and downsized copies of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid


def rg1_uncr() -> Path:
    from pydicom.data import get_testdata_file

    return Path(get_testdata_file("RG1_UNCR.dcm"))


def downsized_copy(source: Path, target: Path, factor: int = 4, series_uid: str | None = None,
                   sop_uid: str | None = None, **changes) -> Path:
    """The same film at 1/``factor`` per side (plain subsampling), new SOP Instance (and Series) UID."""
    ds = pydicom.dcmread(source)
    pixels = np.ascontiguousarray(ds.pixel_array[::factor, ::factor])
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.tobytes()
    if "PixelSpacing" in ds:
        ds.PixelSpacing = [float(v) * factor for v in ds.PixelSpacing]
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.SOPInstanceUID = sop_uid or generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for key, value in changes.items():
        setattr(ds, key, value)
    ds.save_as(target, enforce_file_format=True)
    return target

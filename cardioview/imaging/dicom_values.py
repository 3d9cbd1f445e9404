"""Plain facts pulled out of a parsed DICOM header: text, integers, metadata, spacing, windows.

Every helper tolerates a missing or malformed value (it gives '' or a default): a bad
optional attribute must not stop loading. Works on a pydicom Dataset and on the scan's
ScanHeader alike (both answer ``get`` and ``file_meta``).
"""

from __future__ import annotations

import math
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID

from cardioview.imaging.xray import Window, XRayMetadata


def transfer_syntax(ds: Dataset) -> UID:
    return UID(ds.file_meta.TransferSyntaxUID)


def text(ds: Dataset, keyword: str) -> str:
    """A header value as a stripped string, '' when absent or unreadable."""
    try:
        value = ds.get(keyword)
    except Exception:  # a malformed value must not stop loading
        return ""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, MultiValue)):
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


def integer(ds: Dataset, keyword: str, default: int | None = None) -> int | None:
    """A header value as int (IS/US), ``default`` when absent or malformed."""
    try:
        value = ds.get(keyword)
        if isinstance(value, str):  # IS text from the scan's reader: " 5 ", "05" and "5.0" are 5, as pydicom reads them
            number = float(value)
            return int(number) if number.is_integer() else default
        return default if value is None or value == "" else int(value)
    except Exception:  # malformed IS, or a value pydicom cannot convert
        return default


def frame_count(ds: Dataset) -> int:
    return max(integer(ds, "NumberOfFrames", 1) or 1, 1)


def metadata_from_dataset(ds: Dataset) -> XRayMetadata:
    """The plain header facts an XRay carries."""
    return XRayMetadata(
        patient_name=text(ds, "PatientName"),
        patient_id=text(ds, "PatientID"),
        patient_sex=text(ds, "PatientSex"),
        patient_age=text(ds, "PatientAge"),
        study_instance_uid=text(ds, "StudyInstanceUID"),
        series_instance_uid=text(ds, "SeriesInstanceUID"),
        sop_instance_uid=text(ds, "SOPInstanceUID"),
        study_date=text(ds, "StudyDate"),
        study_time=text(ds, "StudyTime"),
        study_description=text(ds, "StudyDescription"),
        series_description=text(ds, "SeriesDescription"),
        modality=text(ds, "Modality"),
        body_part=text(ds, "BodyPartExamined"),
        view_position=text(ds, "ViewPosition"),
        manufacturer=text(ds, "Manufacturer"),
        photometric_interpretation=text(ds, "PhotometricInterpretation"),
        transfer_syntax=transfer_syntax(ds).name,
    )


def pixel_spacing(ds: Dataset) -> tuple[float, float] | None:
    """(row, column) spacing in mm from Pixel Spacing, else Imager Pixel Spacing.

    Zero, negative or malformed values (some CR files write 0\\0) mean unknown.
    """
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        try:
            values = [float(v) for v in ds.get(keyword) or ()]
        except Exception:  # malformed or single-valued: unknown
            continue
        if len(values) == 2 and all(math.isfinite(v) and v > 0 for v in values):
            return values[0], values[1]
    return None


def windows(ds: Dataset) -> tuple[Window, ...]:
    """Every window the header defines (Window Center/Width, VM 1-n), in order."""
    try:
        centers = _as_floats(ds.get("WindowCenter"))
        widths = _as_floats(ds.get("WindowWidth"))
        explanations = _as_strings(ds.get("WindowCenterWidthExplanation"))
    except Exception:  # malformed DS values: no usable window
        return ()
    return tuple(
        Window(center=c, width=w, explanation=explanations[i] if i < len(explanations) else "")
        for i, (c, w) in enumerate(zip(centers, widths))
    )


def _as_floats(value: Any) -> list[float]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return [float(value)]
    return [float(v) for v in value]


def _as_strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        return [str(value).strip()]
    return [str(v).strip() for v in value]

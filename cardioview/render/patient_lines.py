"""A report's patient and study lines: DICOM names, ages and dates made readable; only non-identifying facts
when de-identifying."""

from __future__ import annotations

from cardioview.imaging.xray import XRay, XRayMetadata

DEIDENTIFIED = "De-identified"


def _person_name(name: str) -> str:
    """DICOM PN 'FAMILY^GIVEN^MIDDLE' -> 'FAMILY, GIVEN MIDDLE'."""
    parts = [p.strip() for p in name.split("=")[0].split("^")]
    family, rest = parts[0], " ".join(p for p in parts[1:] if p)
    return f"{family}, {rest}" if family and rest else family or rest


def _age(age: str) -> str:
    """DICOM AS '058Y' -> '58 y'; anything else as given."""
    units = {"D": "d", "W": "wk", "M": "mo", "Y": "y"}
    if len(age) == 4 and age[:3].isdigit() and age[3] in units:
        return f"{int(age[:3])} {units[age[3]]}"
    return age


def _date(value: str) -> str:
    """DICOM DA 'YYYYMMDD' -> 'YYYY-MM-DD'."""
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def _joined(*parts: str, sep: str = " \u00b7 ") -> str:
    return sep.join(p for p in parts if p)


def _labelled(label: str, value: str) -> str:
    return f"{label}: {value}" if value else ""


def patient_lines(xray: XRay, meta: XRayMetadata, deidentify: bool) -> list[str]:
    """Patient and study facts; with ``deidentify``, only the non-identifying ones.

    ``meta`` is already de-identified then; the file name is left out too, as
    file names often carry a patient name or an accession number.
    """
    sex_age = " / ".join(p for p in (meta.patient_sex, _age(meta.patient_age)) if p)
    view = _joined(
        f"View {meta.view_position}" if meta.view_position else "",
        f"Modality {meta.modality}" if meta.modality else "",
        meta.body_part,
    )
    if deidentify:
        return [DEIDENTIFIED] + [line for line in (_labelled("Sex / age", sex_age), view) if line]
    lines = [
        _labelled("Name", _person_name(meta.patient_name)),
        _labelled("Patient ID", meta.patient_id),
        _labelled("Sex / age", sex_age),
        _labelled("Study", _joined(_date(meta.study_date), meta.study_description)),
        _labelled("Series", meta.series_description),
        view,
        _labelled("SOP Instance UID", meta.sop_instance_uid),
    ]
    lines = [line for line in lines if line] or ["No patient or study details in the source file"]
    return lines + [f"File: {xray.name}"]

"""Index a folder of images by reading headers only: Patient > Study > Series > Image.

DICOM files are grouped by their UIDs; raster files (PNG, JPEG...) go to a
pseudo patient "Image files" with one study per folder. Non-image files are
skipped and counted; unreadable ones are listed with a reason. No pixel data
is read, so thousands of files index in seconds. No Qt: the GUI passes
``progress`` and ``cancel`` callables from its worker thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.datadict import tag_for_keyword
from pydicom.uid import UID

from cardioview.errors import ImageLoadError
from cardioview.imaging.dicom_header import quiet_pydicom, read_dataset, transfer_syntax_of
from cardioview.imaging.dicom_values import frame_count, integer, metadata_from_dataset, text
from cardioview.imaging.file_kind import not_regular_reason
from cardioview.imaging.raster_header import declared_size
from cardioview.imaging.sniff import (
    DICOM,
    DICOM_BARE,
    DICOM_SUFFIXES,
    RASTER_FORMATS,
    RASTER_SUFFIXES,
    describe,
    read_head,
    sniff,
)
from cardioview.imaging.study_index import (
    RASTER_PATIENT,
    ImageEntry,
    PatientEntry,
    ScanError,
    SeriesEntry,
    StudyEntry,
    StudyIndex,
)
from cardioview.imaging.suitability import suitability_warnings
from cardioview.imaging.xray import XRayMetadata

# The tags a scan reads; parsing stops after the last, (0028,0100) BitsAllocated.
_SCAN_TAGS = tuple(
    tag_for_keyword(k)
    for k in (
        "SpecificCharacterSet",
        "SOPClassUID",
        "SOPInstanceUID",
        "StudyDate",
        "StudyTime",
        "Modality",
        "Manufacturer",
        "StudyDescription",
        "SeriesDescription",
        "PatientName",
        "PatientID",
        "PatientSex",
        "PatientAge",
        "BodyPartExamined",
        "ViewPosition",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SeriesNumber",
        "InstanceNumber",
        "SamplesPerPixel",
        "PhotometricInterpretation",
        "NumberOfFrames",
        "Rows",
        "Columns",
        "BitsAllocated",
    )
)
# About 200 progress calls per scan, whatever its size.
_PROGRESS_CALLS = 200


def scan(
    folder: str | Path, progress: Callable[[int, int], None] | None = None, cancel: Callable[[], bool] | None = None
) -> StudyIndex:
    """Index every image under ``folder`` (recursively) from headers only.

    Args:
        folder: the folder to walk; hidden sub-folders (.git...) are not entered.
        progress: called as ``progress(done, total)`` about 200 times, last with done == total.
        cancel: polled before each file; returning True stops the scan.

    Returns:
        The StudyIndex; never raises for a bad file (it lands in ``errors``).

    Raises:
        ImageLoadError: ``folder`` is not a readable folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ImageLoadError(root, "not a folder")
    files = _list_files(root)
    total, step = len(files), max(1, len(files) // _PROGRESS_CALLS)
    grouper = _Grouper(root)
    skipped: list[Path] = []
    errors: list[ScanError] = []
    cancelled = False
    for done, path in enumerate(files, start=1):
        if cancel is not None and cancel():
            cancelled = True
            break
        try:
            if not grouper.add(path):
                skipped.append(path)
        except ImageLoadError as exc:
            errors.append(ScanError(path, exc.reason))
        except Exception as exc:  # one odd file must not stop the scan
            errors.append(ScanError(path, f"could not read the header ({type(exc).__name__})"))
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)
    return StudyIndex(root, grouper.patients(), tuple(skipped), tuple(errors), cancelled)


def _list_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath, name) for name in sorted(filenames))
    return found


@dataclass
class _SeriesDraft:
    uid: str
    number: int | None
    description: str
    modality: str
    images: list[tuple[tuple, ImageEntry]] = field(default_factory=list)

    def freeze(self) -> SeriesEntry:
        ordered = tuple(entry for _, entry in sorted(self.images, key=lambda item: item[0]))
        return SeriesEntry(self.uid, self.number, self.description, self.modality, ordered)


@dataclass
class _StudyDraft:
    uid: str
    date: str
    time: str
    description: str
    series: dict[str, _SeriesDraft] = field(default_factory=dict)

    def freeze(self) -> StudyEntry:
        drafts = sorted(self.series.values(), key=lambda s: (s.number is None, s.number or 0, s.description, s.uid))
        return StudyEntry(self.uid, self.date, self.description, tuple(s.freeze() for s in drafts))


@dataclass
class _PatientDraft:
    patient_id: str
    name: str
    studies: dict[str, _StudyDraft] = field(default_factory=dict)

    def freeze(self) -> PatientEntry:
        # Undated studies last; otherwise oldest first, as PACS browsers list them.
        drafts = sorted(self.studies.values(), key=lambda s: (s.date == "", s.date, s.time, s.description, s.uid))
        return PatientEntry(self.patient_id, self.name, tuple(s.freeze() for s in drafts))


class _Grouper:
    """Collects entries into drafts, then freezes them in display order."""

    def __init__(self, root: Path):
        self.root = root
        self.dicom_patients: dict[tuple[str, str], _PatientDraft] = {}
        self.raster_patient = _PatientDraft("", RASTER_PATIENT)

    def add(self, path: Path) -> bool:
        """Index one file; False when it is not an image. Raises ImageLoadError when unreadable.

        Only regular files are opened: a FIFO would block the scan, a link to /dev/zero never end it.
        """
        reason = not_regular_reason(path)
        if reason is not None:
            raise ImageLoadError(path, reason)
        try:
            head = read_head(path)
        except OSError as exc:
            raise ImageLoadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
        fmt, suffix = sniff(head), path.suffix.lower()
        claims_image = suffix in RASTER_SUFFIXES or suffix in DICOM_SUFFIXES - {""}
        if not head:
            if claims_image:
                raise ImageLoadError(path, "empty file")
            return False
        if fmt in RASTER_FORMATS:
            self._add_raster(path, fmt)
            return True
        if fmt in (DICOM, DICOM_BARE) or suffix in DICOM_SUFFIXES - {""}:
            with quiet_pydicom():
                return self._add_dicom(path)
        if suffix in RASTER_SUFFIXES:
            raise ImageLoadError(path, f"not a valid {RASTER_SUFFIXES[suffix].upper()} image: {describe(head)}")
        return False

    def _add_dicom(self, path: Path) -> bool:
        ds = read_dataset(path, stop_before_pixels=True, scan_tags=_SCAN_TAGS)
        rows, columns = integer(ds, "Rows"), integer(ds, "Columns")
        if not rows or not columns:
            sop_class = UID(text(ds, "SOPClassUID") or "0").name
            if "Image Storage" in sop_class:
                raise ImageLoadError(path, f"incomplete DICOM header: a {sop_class} without Rows/Columns (truncated?)")
            return False  # SR, RT plan, DICOMDIR...: DICOM, but not an image
        meta = metadata_from_dataset(ds)
        instance = integer(ds, "InstanceNumber")
        entry = ImageEntry(
            path,
            "dicom",
            rows,
            columns,
            frame_count(ds),
            instance,
            meta,
            suitability_warnings(meta, (rows, columns)),
            _pixels_missing(path, ds, rows, columns),
        )
        # Files missing a UID are grouped by their folder rather than lumped together.
        folder = f"folder:{path.parent.relative_to(self.root).as_posix()}"
        patient_key = (meta.patient_id, "" if meta.patient_id else meta.patient_name)
        patient = self.dicom_patients.setdefault(patient_key, _PatientDraft(meta.patient_id, meta.patient_name))
        study = patient.studies.setdefault(
            meta.study_instance_uid or folder,
            _StudyDraft(meta.study_instance_uid, meta.study_date, text(ds, "StudyTime"), meta.study_description),
        )
        series = study.series.setdefault(
            meta.series_instance_uid or folder,
            _SeriesDraft(meta.series_instance_uid, integer(ds, "SeriesNumber"), meta.series_description, meta.modality),
        )
        series.images.append(((instance is None, instance or 0, path.name), entry))
        return True

    def _add_raster(self, path: Path, fmt: str) -> None:
        width, height, _ = declared_size(path, fmt)  # as displayed: EXIF orientation applied
        meta = XRayMetadata()
        entry = ImageEntry(path, "raster", height, width, 1, None, meta, suitability_warnings(meta, (height, width)))
        folder = path.parent.relative_to(self.root).as_posix()
        study = self.raster_patient.studies.setdefault(folder, _StudyDraft("", "", "", folder))
        series = study.series.setdefault("", _SeriesDraft("", None, "", ""))
        series.images.append(((False, 0, path.name), entry))

    def patients(self) -> tuple[PatientEntry, ...]:
        drafts = sorted(self.dicom_patients.values(), key=lambda p: (p.name.lower(), p.patient_id, p.name))
        if self.raster_patient.studies:
            drafts.append(self.raster_patient)
        return tuple(p.freeze() for p in drafts)


def _pixels_missing(path: Path, ds, rows: int, columns: int) -> str:
    """Why the file cannot hold its pixels, judged from the header and the file size alone; "" when it may.

    Only uncompressed transfer syntaxes have a known pixel size; a compressed
    stream cut short is found when it is decoded.
    """
    syntax = transfer_syntax_of(ds)
    if not syntax or UID(syntax).is_compressed or UID(syntax).is_deflated:
        return ""
    bits = integer(ds, "BitsAllocated") or 0
    needed = rows * columns * frame_count(ds) * max(integer(ds, "SamplesPerPixel", 1) or 1, 1) * bits // 8
    try:
        size = path.stat().st_size
    except OSError:
        return ""
    if bits <= 0 or size >= needed:
        return ""
    return (
        f"no or truncated pixel data: the {columns}x{rows} {bits}-bit image needs {needed:,} bytes, "
        f"the file has {size:,}"
    )

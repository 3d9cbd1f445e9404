"""The result of a folder scan: Patient > Study > Series > Image, headers only.

Plain dataclasses (no pydicom), so the viewer can import them at start-up
without paying for the DICOM stack; :mod:`cardioview.imaging.folder_scan` fills them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cardioview.imaging.xray import XRayMetadata

#: Display name of the pseudo patient that holds raster files.
RASTER_PATIENT = "Image files"


@dataclass(frozen=True)
class ImageEntry:
    """One image file as the header describes it (no pixels read)."""

    path: Path
    kind: str  # "dicom" or "raster"
    rows: int
    columns: int
    frames: int = 1
    instance_number: int | None = None
    metadata: XRayMetadata = field(default_factory=XRayMetadata)
    warnings: tuple[str, ...] = ()
    #: Why the pixels cannot load, when the header scan already knows (e.g. the file is shorter than its pixels).
    error: str = ""

    @property
    def sop_instance_uid(self) -> str:
        return self.metadata.sop_instance_uid

    @property
    def modality(self) -> str:
        return self.metadata.modality

    @property
    def view_position(self) -> str:
        return self.metadata.view_position


@dataclass(frozen=True)
class SeriesEntry:
    series_instance_uid: str
    number: int | None
    description: str
    modality: str
    images: tuple[ImageEntry, ...]


@dataclass(frozen=True)
class StudyEntry:
    """A DICOM study, or for raster files one folder (``description`` = its path)."""

    study_instance_uid: str
    date: str
    description: str
    series: tuple[SeriesEntry, ...]


@dataclass(frozen=True)
class PatientEntry:
    patient_id: str
    name: str
    studies: tuple[StudyEntry, ...]


@dataclass(frozen=True)
class ScanError:
    """A file that looks like an image but could not be read, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class StudyIndex:
    """What a folder holds, in display order.

    Attributes:
        root: the folder scanned.
        patients: sorted by name; the raster pseudo patient comes last.
        skipped: non-image files (text, non-image DICOM such as SR or DICOMDIR).
        errors: image-looking files that could not be read, with reasons.
        cancelled: True when ``cancel()`` stopped the scan early (the index is partial).
    """

    root: Path
    patients: tuple[PatientEntry, ...] = ()
    skipped: tuple[Path, ...] = ()
    errors: tuple[ScanError, ...] = ()
    cancelled: bool = False

    def images(self) -> Iterator[ImageEntry]:
        """Every image in display order (patient, study date, series, instance)."""
        for patient in self.patients:
            for study in patient.studies:
                for series in study.series:
                    yield from series.images

    @property
    def n_images(self) -> int:
        return sum(1 for _ in self.images())

    @property
    def n_studies(self) -> int:
        return sum(len(p.studies) for p in self.patients)

    @property
    def n_series(self) -> int:
        return sum(len(s.series) for p in self.patients for s in p.studies)

    def __len__(self) -> int:
        return self.n_images

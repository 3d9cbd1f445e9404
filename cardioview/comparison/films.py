"""One analysed film as the comparison sees it, and the choice of its prior.

A film belongs to a trend only when its header names the patient (Patient ID, else Patient Name) and the
study date: raster files (PNG/JPEG) carry neither and form no trend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FilmRecord:
    """The facts of one analysed film that a comparison needs.

    Attributes:
        patient: Patient ID (else Patient Name); "" for a raster file.
        study_date / study_time: DICOM DA (YYYYMMDD) / TM (HHMMSS...), "" when absent.
        view: View Position ("AP", "PA", ...), upper case, "" when absent.
        probability: P(cardiomegaly), None when the model does not apply to the film.
        ctr: the cardiothoracic ratio, None when not measured.
        threshold: the decision threshold P was judged against.
        key: the viewer's key of the film (its path, or path#frame), for opening it from a trend.
    """

    patient: str
    study_date: str
    study_time: str
    study_uid: str
    path: Path
    view: str
    probability: float | None
    ctr: float | None
    threshold: float | None = None
    key: str = ""

    @property
    def when(self) -> tuple[str, str]:
        """Sort key: date then time (both DICOM strings sort as text)."""
        return self.study_date, _digits(self.study_time)

    @property
    def trendable(self) -> bool:
        return bool(self.patient and self.study_date)


def _digits(time: str) -> str:
    """HHMMSS.ffffff, with the colons of old ACR-NEMA times removed, padded so that '9' < '10'."""
    return time.replace(":", "").split(".")[0].ljust(6, "0")


def film_record(xray, prediction, key: str = "") -> FilmRecord:
    """The FilmRecord of an XRay (cardioview.imaging) and its Prediction (cardioview.inference)."""
    return film_from(xray.metadata, Path(xray.source), prediction, key)


def film_from(meta, path: Path, prediction=None, key: str = "", ctr: float | None = None) -> FilmRecord:
    """The FilmRecord of a film known by its header (an XRayMetadata) and, once analysed, its Prediction.

    ``ctr`` overrides the prediction's automatic CTR (the reader's calipers in the viewer).
    """
    anatomy = getattr(prediction, "anatomy", None) if prediction is not None else None
    applicable = prediction is not None and prediction.applicable
    if ctr is None and applicable and anatomy is not None and anatomy.ctr is not None:
        ctr = anatomy.ctr
    return FilmRecord(
        patient=meta.patient_id or meta.patient_name,
        study_date=meta.study_date,
        study_time=getattr(meta, "study_time", ""),
        study_uid=meta.study_instance_uid,
        path=Path(path),
        view=meta.view_position.strip().upper(),
        probability=float(prediction.probability) if applicable else None,
        ctr=float(ctr) if ctr is not None and applicable else None,
        threshold=prediction.threshold if prediction else None,
        key=key or str(path),
    )


def by_patient(films: Iterable[FilmRecord]) -> dict[str, list[FilmRecord]]:
    """Trendable films grouped by patient, each list oldest first; patients in sorted order."""
    groups: dict[str, list[FilmRecord]] = {}
    for film in films:
        if film.trendable:
            groups.setdefault(film.patient, []).append(film)
    return {p: sorted(groups[p], key=lambda f: (f.when, str(f.path))) for p in sorted(groups)}


def prior_of(film: FilmRecord, films: Iterable[FilmRecord]) -> FilmRecord | None:
    """The most recent film of the same patient from an earlier study (by Study Date, then Study Time).

    Films of the same study (same Study Instance UID) are never each other's prior.
    """
    if not film.trendable:
        return None
    earlier = [
        f
        for f in films
        if f.patient == film.patient
        and f.trendable
        and f.when < film.when
        and not (film.study_uid and f.study_uid == film.study_uid)
    ]
    return max(earlier, key=lambda f: (f.when, str(f.path)), default=None)

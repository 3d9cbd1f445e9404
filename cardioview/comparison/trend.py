"""Trend rows: every analysed film of every patient, oldest first, with its change since the prior study."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cardioview.comparison.change import compare, iso_date, signed
from cardioview.comparison.films import FilmRecord, by_patient, prior_of

TREND_COLUMNS = (
    "patient",
    "study_date",
    "study_uid",
    "path",
    "view",
    "probability",
    "ctr",
    "ctr_change",
    "probability_change",
)


@dataclass(frozen=True)
class TrendRow:
    film: FilmRecord
    patient: str  # the film's patient, or its pseudonym
    ctr_change: float | None
    probability_change: float | None
    caution: str

    def cells(self) -> list[str]:
        f = self.film
        return [
            self.patient,
            iso_date(f.study_date),
            f.study_uid,
            str(f.path),
            f.view,
            "" if f.probability is None else f"{f.probability:.4f}",
            "" if f.ctr is None else f"{f.ctr:.4f}",
            signed(self.ctr_change, 4),
            signed(self.probability_change, 4),
        ]


def trend_rows(films: Iterable[FilmRecord], name: Callable[[str], str] = str) -> list[TrendRow]:
    """One row per trendable film, sorted by patient (as ``name`` shows it) then date.

    The change is from the patient's previous study (the prior, films.prior_of); empty for the first.

    Args:
        films: analysed films; those without patient or date (raster files) are left out.
        name: what the patient column shows (identity, or a pseudonym for --deidentify).
    """
    rows = []
    for patient, series in by_patient(films).items():
        for film in series:
            prior = prior_of(film, series)
            change = compare(film, prior) if prior is not None else None
            rows.append(
                TrendRow(
                    film,
                    name(patient),
                    change.ctr_change if change else None,
                    change.probability_change if change else None,
                    change.caution if change else "",
                )
            )
    return sorted(rows, key=lambda r: (r.patient, r.film.when, str(r.film.path)))


def mixed_views(series: Iterable[FilmRecord]) -> bool:
    """True when a patient's films include both AP and PA (the trend then carries a caution)."""
    return {"AP", "PA"} <= {f.view for f in series}

"""What ``cardioview predict`` writes after its results: DIR/trend.csv and DIR/trend/<patient>.png."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.comparison.films import FilmRecord, by_patient
from cardioview.comparison.plot import trend_image
from cardioview.comparison.pseudonym import pseudonym, pseudonym_key
from cardioview.comparison.trend import TREND_COLUMNS, trend_rows
from cardioview.csv_safe import csv_bytes, printable


def write_trend_outputs(
    out: Path, films: Sequence[FilmRecord], deidentify: bool, key_folder: Path | None = None
) -> list[Path]:
    """trend.csv (a row per film with patient and date, even when alone) and one plot per patient with 2+ studies.

    Args:
        out: the predict output folder.
        films: every analysed film (raster files among them form no trend).
        deidentify: the patient column and the plot names and titles are keyed pseudonyms (comparison.pseudonym).
        key_folder: where the pseudonym key lives (tests); default the user's data folder.

    Returns:
        The files written (none when no film names its patient and date); never over an existing file.
    """
    groups = by_patient(films)
    if not groups:
        return []
    name = str
    if deidentify:
        key = pseudonym_key(key_folder)

        def name(patient: str) -> str:
            return pseudonym(patient, key)

    rows = trend_rows(films, name)
    written = [
        atomic_write_bytes(
            unique_path(out, "trend", suffix=".csv"),
            csv_bytes(TREND_COLUMNS, ([printable(c) for c in r.cells()] for r in rows)),
        )
    ]
    plots = out / "trend"
    for patient, series in groups.items():
        if len({f.study_uid or f.when for f in series}) < 2:
            continue
        shown = name(patient)
        plots.mkdir(exist_ok=True)
        threshold = next((f.threshold for f in series if f.threshold is not None), None)
        buffer = io.BytesIO()
        Image.fromarray(trend_image(series, f"Patient {shown}: {len(series)} films", threshold)).save(buffer, "PNG")
        written.append(atomic_write_bytes(unique_path(plots, _file_stem(shown), suffix=".png"), buffer.getvalue()))
    return written


def predict_trends(out: Path, films: Sequence[FilmRecord], deidentify: bool) -> list[Path]:
    """``cardioview predict``'s call: the trend outputs, or one line on stderr saying why not (results.csv and
    the reports are already written and stay valid)."""
    try:
        return write_trend_outputs(out, films, deidentify)
    except OSError as exc:
        print(
            f"cardioview predict: trend outputs incomplete ({exc.strerror or exc}: {exc.filename or out})",
            file=sys.stderr,
        )
        return []


def _file_stem(text: str) -> str:
    """A patient ID as a file name: each run of characters other than letters, digits and '-' becomes one '_'
    (no '.', '/' or '\\' survive, so the plot stays in DIR/trend/)."""
    stem = re.sub(r"[^0-9A-Za-z-]+", "_", text).strip("_")[:80]
    return stem or "patient"


def analysis_order(files: Sequence[Path]) -> list[int]:
    """Indices of ``files`` oldest study first (headers only), so that a film's prior is analysed before it and
    its report can carry the comparison. Files without a readable DICOM date keep their place at the start."""
    from cardioview.imaging.dicom_header import read_dataset
    from cardioview.imaging.dicom_values import text

    def when(index: int) -> tuple[str, str, int]:
        try:
            ds = read_dataset(files[index], stop_before_pixels=True, scan_tags=_DATE_TAGS)
            return text(ds, "StudyDate"), text(ds, "StudyTime"), index
        except Exception:  # a raster, or a file the analysis will report on: no date, its place kept
            return "", "", index

    return sorted(range(len(files)), key=when)


_DATE_TAGS = (0x00080020, 0x00080030)  # Study Date, Study Time


def comparison_for(xray, prediction, films: list[FilmRecord]):
    """The Change of this film since its prior among ``films`` (None without one); the film joins ``films``."""
    from cardioview.comparison.change import compare
    from cardioview.comparison.films import film_record, prior_of

    film = film_record(xray, prediction)
    prior = prior_of(film, films)
    films.append(film)
    return compare(film, prior) if prior is not None else None

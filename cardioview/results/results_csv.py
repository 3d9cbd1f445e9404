"""results.csv: one row per film, the same columns from ``predict`` and from the listener.

``write_results_csv`` writes a whole file at once (``predict``); :class:`ResultsFile` appends one row at
a time for a long-running listener, each append a single ``write`` on an O_APPEND descriptor, synced, so
a reader (or a crash) sees whole rows only. Every cell goes through ``csv_safe`` (printable, no formulas).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cardioview.anatomy.ctr_source import automatic_measurement, ctr_source
from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.csv_safe import csv_bytes, printable, safe_cell
from cardioview.results.film_result import FilmFailure, FilmResult

RESULT_COLUMNS = (
    "path",
    "status",
    "probability",
    "threshold",
    "label",
    "ctr",
    "ctr_source",
    "model",
    "elapsed_ms",
    "warnings",
    "error",
    "sop_instance_uid",
    "study_instance_uid",
)


@dataclass
class Row:
    """One results.csv row (every cell text). ``status``: ok, unsuitable, incomplete (listener) or error."""

    path: str
    status: str
    probability: str = ""
    threshold: str = ""
    label: str = ""
    ctr: str = ""
    ctr_source: str = ""  # automatic, adjusted, reader (anatomy.ctr_source), empty without a CTR
    model: str = ""
    elapsed_ms: str = ""
    warnings: str = ""
    error: str = ""
    sop_instance_uid: str = ""  # the DICOM film's (empty for a raster)
    study_instance_uid: str = ""

    @classmethod
    def of(cls, result: FilmResult, notes: list[str] = (), path: str | Path | None = None) -> Row:
        """The row of one analysed film: its verdict (or why it has none), its CTR (the reported one, else the
        segmenter's) and where it comes from, warnings plus ``notes``, the SOP/Study Instance UIDs.
        ``path``: what the path cell names (default: the film's source)."""
        prediction, metadata = result.prediction, result.xray.metadata
        ctr = result.ctr if result.ctr is not None else automatic_measurement(result.anatomy)
        return cls(
            path=str(result.source if path is None else path),
            status=result.status,
            probability=f"{prediction.probability:.4f}",
            threshold=f"{prediction.threshold:.4f}",
            label=prediction.label,
            model=prediction.model_id,
            elapsed_ms=f"{prediction.elapsed_ms:.1f}",
            warnings="; ".join([*result.warnings, *notes]),
            ctr="" if ctr is None else f"{ctr.ratio:.4f}",
            ctr_source=ctr_source(ctr, result.anatomy),
            error=result.reason,
            sop_instance_uid=getattr(metadata, "sop_instance_uid", ""),
            study_instance_uid=getattr(metadata, "study_instance_uid", ""),
        )

    @classmethod
    def failed(cls, path: str | Path, reason: str, uids: tuple[str, str] = ("", "")) -> Row:
        """The row of a film that gave no result; ``uids``: (SOP, Study Instance UID) when known."""
        return cls(path=str(path), status="error", error=reason, sop_instance_uid=uids[0], study_instance_uid=uids[1])

    @classmethod
    def of_outcome(cls, outcome: FilmResult | FilmFailure, uids: tuple[str, str] = ("", "")) -> Row:
        if isinstance(outcome, FilmFailure):
            return cls.failed(outcome.source, outcome.reason, uids)
        return cls.of(outcome)

    def cells(self) -> list[str]:
        return [getattr(self, c) for c in RESULT_COLUMNS]


def write_results_csv(folder: Path, rows: list[Row]) -> Path:
    """``folder/results.csv`` (or the next free name) with ``rows``, atomically.

    The rows' path and error cells are made printable in place (odd file-name bytes as \\xNN), so a
    summary printed from them shows the same text.
    """
    for r in rows:
        r.path, r.error = printable(r.path), printable(r.error)
    target = unique_path(folder, "results", suffix=".csv")
    atomic_write_bytes(target, csv_bytes(RESULT_COLUMNS, (r.cells() for r in rows)))
    return target


def _line(values) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow([safe_cell(v) for v in values])
    return text.getvalue().encode("utf-8")


class ResultsFile:
    """``folder/results.csv`` appended row by row; a file there with other columns is left alone
    (``results_1.csv``...). Owner-only (0600): rows name studies."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        header = _line(RESULT_COLUMNS)
        path = folder / "results.csv"
        if path.exists():
            with open(path, "rb") as handle:
                if handle.readline() != header:
                    path = unique_path(folder, "results", suffix=".csv")
        if not path.exists():
            atomic_write_bytes(path, header)
        os.chmod(path, 0o600)
        self.path = path
        self._lock = threading.Lock()

    def append(self, row: Row) -> None:
        data = _line(row.cells())
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0))
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self) -> list[dict[str, str]]:
        """The rows written so far (this file and, after a column change, the older ``results*.csv`` beside it)."""
        rows: list[dict[str, str]] = []
        for path in sorted(self.path.parent.glob("results*.csv")):
            try:
                with open(path, newline="", encoding="utf-8") as handle:
                    rows += [row for row in csv.DictReader(handle) if row.get("path")]
            except (OSError, UnicodeDecodeError, csv.Error) as exc:
                logging.getLogger("cardioview.listen").error("cannot read %s: %s", path.name, exc)
        return rows

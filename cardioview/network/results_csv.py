"""results.csv for a long-running listener: one row appended per image, each append atomic.

Each row is written with one ``write`` on an O_APPEND descriptor and synced, so a
reader (or a crash) sees whole rows only. Same columns as ``cardioview predict``.
Owner-only (0600): rows name studies.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
from pathlib import Path

from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.predict_cli import RESULT_COLUMNS, Row


def _line(values) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(values)
    return text.getvalue().encode("utf-8")


class ResultsFile:
    """``folder/results.csv``; a file there with other columns is left alone (``results_1.csv``...)."""

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
        data = _line([getattr(row, c) for c in RESULT_COLUMNS])
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

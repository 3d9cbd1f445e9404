"""``out/received/``: the listener's durable queue on disk.

A film is written here (named by its arrival number, never by anything that could
identify a patient) before its C-STORE is answered with Success, so a crash loses
nothing that was acknowledged: on the next start every file without a result row is
queued again, unless its analysis was already interrupted twice (``.NNNNNN.attempts``: a
film that takes the process down must not do so at every restart). Arrival numbers continue
across restarts (the last one is kept in ``.arrival``); temporary files a crash left behind
are removed; files older than the retention period whose result is recorded are deleted.
Folders are 0700, files 0600.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path

from cardioview.atomic import atomic_write_bytes

log = logging.getLogger("cardioview.listen")

_NUMBERED = re.compile(r"^(\d{6,})(?:_\d+)?\.dcm$")


def private_folder(path: Path) -> Path:
    """Create ``path`` (and parents) and make it owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Atomic write (never over an existing file), then owner-only (0600)."""
    atomic_write_bytes(path, data)
    os.chmod(path, 0o600)
    return path


class Inbox:
    """The received-films folder: arrival numbers, stored files, recovery, free space, retention."""

    def __init__(self, folder: str | Path, min_free_mb: float = 0.0, retain_days: float | None = None):
        self.folder = private_folder(Path(folder))
        self.min_free_mb = min_free_mb
        self.retain_days = retain_days
        self._counter = self.folder / ".arrival"
        self._lock = threading.Lock()
        self.swept = self._sweep_temporaries()
        self._last = max([self._read_counter(), *(self.number(p) or 0 for p in self.folder.iterdir())])

    def _sweep_temporaries(self) -> int:
        """Remove the hidden ``.NAME.xxxx.tmp`` files of writes a crash interrupted; returns how many."""
        swept = 0
        for path in self.folder.glob(".*.tmp"):
            try:
                path.unlink()
                swept += 1
            except OSError as exc:
                log.error("cannot remove the stale temporary file %s: %s", path.name, exc.strerror or exc)
        return swept

    def _read_counter(self) -> int:
        try:
            return int(self._counter.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    @staticmethod
    def number(path: Path) -> int | None:
        """The arrival number in a received file's name (``000017.dcm`` -> 17), None for other files."""
        match = _NUMBERED.match(path.name)
        return int(match.group(1)) if match else None

    def next_number(self) -> int:
        """A number never used before in this folder, recorded on disk before it is handed out."""
        with self._lock:
            self._last += 1
            atomic_write_bytes(self._counter, str(self._last).encode(), overwrite=True)
            return self._last

    def store(self, number: int, data: bytes) -> Path:
        """Write one received film as ``NNNNNN.dcm`` (0600); OSError when the disk refuses."""
        return write_private(self.folder / f"{number:06d}.dcm", data)

    def free_mb(self) -> float:
        return shutil.disk_usage(self.folder).free / 1024**2

    def has_room(self) -> bool:
        """False when storing another film would take the disk below ``min_free_mb``."""
        return self.min_free_mb <= 0 or self.free_mb() >= self.min_free_mb

    def films(self) -> list[Path]:
        """Every received film, in arrival order."""
        found = [(self.number(p), p) for p in self.folder.iterdir() if p.is_file()]
        return [p for n, p in sorted((n, p) for n, p in found if n is not None)]

    def unfinished(self, recorded: set[str]) -> list[Path]:
        """Received films whose path has no result row (a crash or kill came between store and row)."""
        return [p for p in self.films() if str(p) not in recorded and p.name not in recorded]

    def _attempts_path(self, path: Path) -> Path:
        return self.folder / f".{path.stem}.attempts"

    def attempts(self, path: Path) -> int:
        """How many analyses of ``path`` started without finishing (the process stopped during them)."""
        try:
            return int(self._attempts_path(path).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def begin_attempt(self, path: Path) -> None:
        """Count one more analysis of ``path`` before it starts (kept on disk until ``end_attempt``); best effort."""
        try:
            atomic_write_bytes(self._attempts_path(path), str(self.attempts(path) + 1).encode(), overwrite=True)
        except OSError as exc:
            log.error("cannot record the analysis of %s: %s", path.name, exc.strerror or exc)

    def end_attempt(self, path: Path) -> None:
        try:
            self._attempts_path(path).unlink(missing_ok=True)
        except OSError as exc:
            log.error("cannot clear the analysis record of %s: %s", path.name, exc.strerror or exc)

    def expire(self, recorded: set[str], now: float | None = None) -> int:
        """Delete films older than ``retain_days`` whose result is recorded; returns how many went."""
        if self.retain_days is None:
            return 0
        cutoff = (now if now is not None else time.time()) - self.retain_days * 86400
        removed = 0
        for path in self.films():
            try:
                if path.stat().st_mtime < cutoff and (str(path) in recorded or path.name in recorded):
                    path.unlink()
                    removed += 1
            except OSError as exc:
                log.error("retention: cannot remove %s: %s", path.name, exc.strerror or exc)
        return removed

"""Atomic, never-overwriting file writes for everything CardioView exports.

A file is written to a hidden temp file beside its target, flushed to disk,
then published in one step, so a reader never sees half a file and a crash
leaves no partial export.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def unique_path(folder: str | Path, stem: str, suffix: str = ".png") -> Path:
    """``folder/stem.png``, or the first free ``stem_1.png``, ``stem_2.png``, ..."""
    if not stem or Path(stem).name != stem:
        raise ValueError(f"file stem must be a plain name, got {stem!r}")
    folder = Path(folder)
    candidate = folder / f"{stem}{suffix}"
    n = 0
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}_{n}{suffix}"
    return candidate


def atomic_write_bytes(path: str | Path, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically.

    Args:
        path: destination.
        data: the bytes.
        overwrite: replace an existing file. When False an existing file raises
            FileExistsError, checked again at the final step (a hard link fails
            instead of replacing a file that appeared meanwhile; file systems
            without hard links fall back to a checked rename).

    Returns:
        ``path``.
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path.name}: a file of that name already exists")
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _publish_exclusive(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: str | Path, text: str, overwrite: bool = False) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new hidden temp file beside ``path`` with the umask's usual permissions
    (tempfile.mkstemp would make it owner-only, and the export would inherit that)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def _publish_exclusive(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path.name}: a file of that name already exists") from None
    except OSError:
        if path.exists():
            raise FileExistsError(f"{path.name}: a file of that name already exists") from None
        os.replace(tmp, path)

"""Atomic, never-overwriting file writes for everything CardioView exports."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder.

    Args:
        path: destination.
        data: the bytes.
        overwrite: replace an existing file; when False an existing file raises
            FileExistsError (checked again at the final step, so a race cannot clobber it).

    Returns:
        ``path``.
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists; not overwriting it")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _publish_exclusive(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str, overwrite: bool = False) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def _publish_exclusive(tmp: str, path: Path) -> None:
    """Move ``tmp`` to ``path`` unless ``path`` exists.

    A hard link fails if the target appeared meanwhile, so nothing is clobbered;
    file systems without hard links fall back to a checked rename.
    """
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path} exists; not overwriting it") from None
    except OSError:
        if path.exists():
            raise FileExistsError(f"{path} exists; not overwriting it") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)

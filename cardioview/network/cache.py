"""The local cache retrieved studies land in: one folder per study, oldest evicted past a size bound."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

DEFAULT_LIMIT_BYTES = 2 * 1024**3


def default_cache_dir() -> Path:
    """The platform cache folder (``CARDIOVIEW_CACHE_DIR`` overrides it, e.g. for tests)."""
    import os

    from platformdirs import user_cache_dir

    return Path(os.environ.get("CARDIOVIEW_CACHE_DIR") or user_cache_dir("CardioView", appauthor=False)) / "pacs"


class StudyCache:
    """Files by study; :meth:`trim` removes whole least-recently-used studies until under ``limit_bytes``.

    Folder names are a hash of the Study Instance UID, so nothing identifying reaches the file system.
    """

    def __init__(self, root: str | Path | None = None, limit_bytes: int = DEFAULT_LIMIT_BYTES):
        self.root = Path(root) if root else default_cache_dir()
        self.limit_bytes = int(limit_bytes)
        self.root.mkdir(parents=True, exist_ok=True)

    def study_dir(self, study_uid: str) -> Path:
        import hashlib

        folder = self.root / hashlib.sha256(study_uid.encode()).hexdigest()[:20]
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)  # recency for trim()
        return folder

    def path_for(self, study_uid: str, sop_instance_uid: str) -> Path:
        safe = re.sub(r"[^0-9.]", "_", sop_instance_uid) or "instance"
        return self.study_dir(study_uid) / f"{safe}.dcm"

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.root.rglob("*") if f.is_file())

    def trim(self, keep: set[Path] = frozenset()) -> list[Path]:
        """Evict whole studies, oldest first, until the cache fits; ``keep`` folders stay. Returns those removed."""
        studies = sorted((d for d in self.root.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime)
        total = self.size()
        removed = []
        for folder in studies:
            if total <= self.limit_bytes:
                break
            if folder in keep:
                continue
            total -= sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        return removed

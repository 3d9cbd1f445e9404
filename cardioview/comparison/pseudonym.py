"""Stable patient pseudonyms for de-identified trends: HMAC-SHA256 of the patient ID under a secret key.

The same key gives the same pseudonym on every run, so trends can be followed across runs; without the key
the pseudonym cannot be reversed or recomputed from a guessed ID. The key is, in order:
the environment variable CARDIOVIEW_PSEUDONYM_KEY (any text, at least 16 characters), else a 32-byte random
key created on first use in the user's data folder (``pseudonym.key``, readable by the user only).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

ENV_KEY = "CARDIOVIEW_PSEUDONYM_KEY"
MIN_ENV_KEY = 16


def pseudonym(patient: str, key: bytes) -> str:
    """'P-' and the first 12 hex digits of HMAC-SHA256(key, patient) (48 bits: no collision in any real set)."""
    return "P-" + hmac.new(key, patient.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def pseudonym_key(folder: Path | None = None) -> bytes:
    """The secret key (see the module docstring); ``folder`` overrides the user's data folder."""
    text = os.environ.get(ENV_KEY, "")
    if len(text) >= MIN_ENV_KEY:
        return text.encode("utf-8")
    path = (folder or _data_folder()) / "pseudonym.key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # Created whole under a temporary name, then linked: a run started at the same moment either finds no
    # key (and links its own) or the complete one; an existing key is never replaced.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    try:
        os.link(temporary, path)
    except FileExistsError:
        key = path.read_bytes()
    finally:
        temporary.unlink()
    return key


def _data_folder() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("CardioView", appauthor=False))

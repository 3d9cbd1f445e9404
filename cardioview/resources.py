"""Where the shipped resources and weights live: the source tree or a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def app_root() -> Path:
    """The folder holding resources/ and weights/ (sys._MEIPASS when frozen)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return app_root() / "resources"


def samples_dir() -> Path:
    return resources_dir() / "samples"


def weights_dir() -> Path | None:
    p = app_root() / "weights"
    return p if p.is_dir() else None

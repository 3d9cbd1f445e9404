"""Shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def bundle_path(arg: str | None, tmp: Path) -> Path:
    """--weights, else the shipped bundle, else a randomly initialised 224 px one (same compute)."""
    from cardioview.model.bundle import find_default_bundle

    if arg:
        return Path(arg)
    found = find_default_bundle()
    if found:
        return found
    from tests.conftest import build_tiny_bundle

    print("no shipped weights: using a randomly initialised 224 px bundle (same compute)")
    return build_tiny_bundle(tmp / "random224", input_size=224)

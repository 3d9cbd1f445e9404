"""Fixtures for the imaging tests (helpers live in tests/dicom_factory.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.dicom_factory import nih_image, nih_variants


@pytest.fixture
def nih_u8() -> np.ndarray:
    """NIH 00000001_000 (cardiomegaly, PA): 1024 px, 8-bit, spanning 0..255."""
    return nih_image("00000001_000.png")


@pytest.fixture
def nih_paths(nih_u8: np.ndarray, tmp_path: Path) -> dict[str, Path]:
    """The same NIH image as PNG and four DICOM encodings (see nih_variants)."""
    return nih_variants(nih_u8, tmp_path / "nih")

"""The shipped samples: load cleanly, are what SOURCES.md says, and rebuild byte-for-byte."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from cardioview.imaging import load
from tests.dicom_factory import NIH1024, region_mean

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
PNGS = ["nih_00000001_000_cardiomegaly.png", "nih_00000002_000_no_finding.png"]
DICOM = "rg1_cr_chest_pa_monochrome1.dcm"


def _make_samples() -> types.ModuleType:
    # Executed from source rather than imported, so no __pycache__ lands in resources/.
    path = SAMPLES / "make_samples.py"
    module = types.ModuleType("make_samples")
    module.__file__ = str(path)
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def test_samples_are_small_and_documented():
    files = [SAMPLES / name for name in [*PNGS, DICOM]]
    assert sum(f.stat().st_size for f in files) < 1_500_000
    sources = (SAMPLES / "SOURCES.md").read_text()
    for name in [*PNGS, DICOM]:
        assert name in sources
    assert "Wang" in sources and "NIH Clinical Center" in sources and "MIT" in sources


@pytest.mark.parametrize("name", PNGS)
def test_nih_samples_load_as_8_bit_512_px_without_warnings(name):
    xray = load(SAMPLES / name)
    assert xray.shape == (512, 512) and xray.bits_stored == 8 and xray.warnings == ()


def test_dicom_sample_is_an_anonymised_monochrome1_chest_pa_with_dark_lungs():
    xray = load(SAMPLES / DICOM)
    meta = xray.metadata
    assert (meta.patient_name, meta.modality, meta.body_part, meta.view_position) == (
        "Anonymous^Sample",
        "CR",
        "CHEST",
        "PA",
    )
    assert meta.photometric_interpretation == "MONOCHROME1" and xray.invert_display and xray.bits_stored == 15
    assert xray.shape == (512, 482) and xray.warnings == ()
    lungs = max(region_mean(xray.pixels, 0.2, 0.4, 0.2, 0.35), region_mean(xray.pixels, 0.2, 0.4, 0.65, 0.8))
    assert region_mean(xray.pixels, 0.15, 0.6, 0.46, 0.54) > lungs + 0.2


def test_dicom_sample_rebuilds_byte_for_byte():
    assert _make_samples().make_rg1_dicom() == (SAMPLES / DICOM).read_bytes()


def test_nih_samples_rebuild_byte_for_byte():
    if not NIH1024.is_dir():
        pytest.skip(f"NIH images not found at {NIH1024}")
    module = _make_samples()
    for name, source in module.NIH_SAMPLES.items():
        assert module.make_nih_png(NIH1024 / source) == (SAMPLES / name).read_bytes()


def test_dicom_sample_matches_its_source_at_lower_resolution():
    import cv2

    from tests.dicom_factory import pydicom_file

    full = load(pydicom_file("RG1_UNCR.dcm")).pixels
    small = load(SAMPLES / DICOM).pixels
    reduced = cv2.resize(full, (482, 512), interpolation=cv2.INTER_AREA)
    assert np.abs(reduced - small).mean() < 0.002

"""Folder scan on real DICOMs, PNGs and the junk that sits beside them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from cardioview.errors import ImageLoadError
from cardioview.imaging import is_candidate_image, load, scan
from cardioview.imaging.study_index import RASTER_PATIENT
from tests.dicom_factory import pydicom_file

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "incoming"
    (root / "rg1").mkdir(parents=True)
    shutil.copy(pydicom_file("RG1_J2KR.dcm"), root / "rg1" / "RG1_J2KR.dcm")  # instance 2
    shutil.copy(pydicom_file("RG1_UNCR.dcm"), root / "rg1" / "RG1_UNCR.dcm")  # instance 1
    (root / "mr").mkdir()
    mr = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    for name, instance in (("a.dcm", 3), ("b.dcm", 1), ("c", 2)):  # "c": no extension, DICM preamble
        mr.SOPInstanceUID = mr.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        mr.InstanceNumber = instance
        mr.save_as(root / "mr" / name)
    shutil.copy(pydicom_file("CT_small.dcm"), root / "CT_small.dcm")
    (root / "images" / "sub").mkdir(parents=True)
    shutil.copy(SAMPLES / "nih_00000002_000_no_finding.png", root / "images" / "sub" / "second.png")
    shutil.copy(SAMPLES / "nih_00000001_000_cardiomegaly.png", root / "images" / "first.png")
    shutil.copy(pydicom_file("rtplan.dcm"), root / "rtplan.dcm")  # DICOM, not an image
    (root / "notes.txt").write_text("referral letter")  # stray file
    (root / "broken.dcm").write_bytes(pydicom_file("RG1_UNCR.dcm").read_bytes()[:600])
    (root / "fake.png").write_text("not a picture")
    (root / ".cache").mkdir()
    shutil.copy(pydicom_file("MR_small.dcm"), root / ".cache" / "hidden.dcm")  # hidden folder: not entered
    return root


def test_scan_groups_patients_studies_series_and_images(folder):
    index = scan(folder)
    assert [p.name for p in index.patients] == [
        "CompressedSamples^CT1",
        "CompressedSamples^MR1",
        "CompressedSamples^RG1",
        RASTER_PATIENT,
    ]
    assert (index.n_images, index.n_studies, index.n_series) == (8, 5, 5)
    mr_series = index.patients[1].studies[0].series[0]
    assert [(i.path.name, i.instance_number) for i in mr_series.images] == [("b.dcm", 1), ("c", 2), ("a.dcm", 3)]
    rg1 = index.patients[2].studies[0]
    assert rg1.date == "20040826" and rg1.description == "THORAX"
    assert [i.path.name for i in rg1.series[0].images] == ["RG1_UNCR.dcm", "RG1_J2KR.dcm"]
    first = rg1.series[0].images[0]
    assert (first.rows, first.columns, first.modality, first.view_position) == (1955, 1841, "CR", "PA")
    assert first.sop_instance_uid == pydicom.dcmread(pydicom_file("RG1_UNCR.dcm")).SOPInstanceUID
    assert first.warnings == ()
    assert any("modality MR" in w for w in mr_series.images[0].warnings)
    raster = index.patients[3]
    assert [s.description for s in raster.studies] == ["images", "images/sub"]
    assert [(i.kind, i.rows, i.columns) for s in raster.studies for i in s.series[0].images] == [
        ("raster", 512, 512),
        ("raster", 512, 512),
    ]


def test_scan_counts_skipped_files_and_lists_errors_with_reasons(folder):
    index = scan(folder)
    assert sorted(p.name for p in index.skipped) == ["notes.txt", "rtplan.dcm"]
    reasons = {e.path.name: e.reason for e in index.errors}
    assert set(reasons) == {"broken.dcm", "fake.png"}
    assert "incomplete DICOM header" in reasons["broken.dcm"]
    assert "not a valid PNG image" in reasons["fake.png"]
    assert not index.cancelled


def test_images_iterate_in_display_order_and_the_order_is_deterministic(folder):
    names = [i.path.name for i in scan(folder).images()]
    assert names == ["CT_small.dcm", "b.dcm", "c", "a.dcm", "RG1_UNCR.dcm", "RG1_J2KR.dcm", "first.png", "second.png"]
    assert [i.path.name for i in scan(folder).images()] == names


def test_progress_reaches_the_total_and_cancel_stops_early(folder):
    calls: list[tuple[int, int]] = []
    scan(folder, progress=lambda done, total: calls.append((done, total)))
    total = 12  # every file outside the hidden folder
    assert calls[-1] == (total, total)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)

    polls = iter(range(100))
    partial = scan(folder, cancel=lambda: next(polls) >= 4)
    assert partial.cancelled
    assert len(partial) + len(partial.skipped) + len(partial.errors) == 4


def test_every_scanned_image_loads(folder):
    for entry in scan(folder).images():
        xray = load(entry.path)
        assert xray.shape == (entry.rows, entry.columns)


def test_loading_and_scanning_write_nothing_beside_the_files(folder):
    def snapshot():
        return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}

    before = snapshot()
    index = scan(folder)
    for path in [*(i.path for i in index.images()), *index.skipped, *(e.path for e in index.errors)]:
        try:
            load(path)
        except Exception:
            pass
    assert snapshot() == before


def test_scan_refuses_a_file_instead_of_a_folder(tmp_path):
    from cardioview.errors import ImageLoadError

    with pytest.raises(ImageLoadError):
        scan(pydicom_file("MR_small.dcm"))


def test_is_candidate_image(folder, tmp_path):
    assert is_candidate_image(folder / "mr" / "c")  # DICM preamble, no extension
    assert is_candidate_image(folder / "images" / "first.png")
    assert is_candidate_image(folder / "broken.dcm")
    assert is_candidate_image(pydicom_file("OT-PAL-8-face.dcm"))  # bare dataset, no preamble
    assert not is_candidate_image(folder / "notes.txt")
    readme = tmp_path / "README"
    readme.write_text("no extension, not DICOM")
    assert not is_candidate_image(readme)
    (tmp_path / "empty.dcm").write_bytes(b"")
    assert not is_candidate_image(tmp_path / "empty.dcm")


def test_scan_marks_dicoms_too_short_for_their_pixels(tmp_path):
    rg1 = pydicom_file("RG1_UNCR.dcm")
    ds = pydicom.dcmread(rg1)
    del ds.PixelData
    ds.save_as(tmp_path / "no_pixels.dcm")
    (tmp_path / "half.dcm").write_bytes(rg1.read_bytes()[: rg1.stat().st_size // 2])
    shutil.copy(rg1, tmp_path / "whole.dcm")
    shutil.copy(pydicom_file("RG1_J2KR.dcm"), tmp_path / "j2k.dcm")  # compressed: smaller than raw, still whole
    shutil.copy(pydicom_file("MR_small.dcm"), tmp_path / "mr.dcm")

    errors = {e.path.name: e.error for e in scan(tmp_path).images()}

    assert errors["whole.dcm"] == errors["j2k.dcm"] == errors["mr.dcm"] == ""
    assert errors["no_pixels.dcm"].startswith("no or truncated pixel data: the 1841x1955 16-bit image needs 7,198,310")
    assert "no or truncated pixel data" in errors["half.dcm"]
    with pytest.raises(ImageLoadError, match="truncated"):  # the scan's verdict agrees with the loader's
        load(tmp_path / "half.dcm")

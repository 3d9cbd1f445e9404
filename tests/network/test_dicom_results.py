"""The SC and SR CardioView writes: dciodvfy-clean, readable, Patient/Study handled as promised."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from cardioview.anatomy.cardiothoracic_ratio import Caliper, CardiothoracicRatio
from cardioview.imaging import load
from cardioview.results.dicom_objects import PLACEHOLDER, build_results
from cardioview.results.writer import ResultWriter
from tests.conftest import REPO_ROOT

RASTER = REPO_ROOT / "resources/samples/nih_00000001_000_cardiomegaly.png"


def dciodvfy_errors(path: Path) -> list[str]:
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy is not installed (Debian: apt-get install dicom3tools)")
    run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=120)
    return [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error")]


def _sr_values(sr) -> dict[str, object]:
    """Concept name -> numeric value or code meaning, from the whole content tree."""
    found = {}

    def walk(items):
        for item in items:
            name = item.ConceptNameCodeSequence[0].CodeMeaning
            if item.ValueType == "NUM":
                found[name] = float(item.MeasuredValueSequence[0].NumericValue)
            elif item.ValueType == "CODE":
                found[name] = item.ConceptCodeSequence[0].CodeMeaning
            elif item.ValueType == "TEXT":
                found.setdefault("texts", []).append(item.TextValue)
            walk(getattr(item, "ContentSequence", []))

    walk(sr.ContentSequence)
    return found


def test_dicom_source_results_pass_dciodvfy_and_keep_the_study(tmp_path, predictor, chest_films):
    source = pydicom.dcmread(chest_films[0], stop_before_pixels=True)
    xray = load(chest_films[0])
    prediction = predictor.predict(xray)
    assert xray.pixel_spacing is None  # RG1 states no Pixel Spacing: the SR gives the diameters in pixels
    ctr = CardiothoracicRatio.from_calipers(Caliper(900, 1031.6, 1100), Caliper(400, 635, 1000))  # 0.56
    objects = build_results(xray, prediction, ctr=ctr, weights_sha256=predictor.bundle.manifest["model_sha256"])
    sc_path, sr_path, seg_path = ResultWriter().write_dicom(objects, tmp_path, "film")
    for path in (sc_path, sr_path, seg_path):
        assert dciodvfy_errors(path) == [], path.name
    sc, sr, seg = pydicom.dcmread(sc_path), pydicom.dcmread(sr_path), pydicom.dcmread(seg_path)
    for ds in (sc, sr, seg):
        assert ds.PatientID == source.PatientID and ds.StudyInstanceUID == source.StudyInstanceUID
        assert ds.SeriesInstanceUID != source.SeriesInstanceUID and ds.SOPInstanceUID != source.SOPInstanceUID
        assert ds.Manufacturer == "CardioView" and "cardioview" in str(ds.SoftwareVersions)
    assert len({sc.SeriesInstanceUID, sr.SeriesInstanceUID, seg.SeriesInstanceUID}) == 3  # one modality per series
    numbers = [int(ds.SeriesNumber) for ds in (sc, sr, seg)]
    assert numbers[1] == numbers[0] + 1 and numbers[2] == numbers[0] + 2 and numbers[0] % 10 == 1
    again = build_results(xray, prediction)  # the next film's series get other numbers
    assert int(again.sc.SeriesNumber) > numbers[0] and int(again.sr.SeriesNumber) > numbers[1]
    assert sc.PhotometricInterpretation == "RGB" and sc.BurnedInAnnotation == "YES"
    assert sc.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    assert sc.pixel_array.shape[2] == 3 and sc.pixel_array.std() > 10  # a real picture, not a blank page
    values = _sr_values(sr)
    assert values["Probability of cardiomegaly"] == pytest.approx(prediction.probability, abs=1e-6)
    assert values["Decision threshold"] == pytest.approx(prediction.threshold, abs=1e-6)
    assert values["Cardiomegaly"] == ("Present" if prediction.positive else "Absent")
    assert values["Cardiothoracic ratio"] == pytest.approx(0.56)
    assert values["Maximal transverse cardiac diameter"] == pytest.approx(131.6)
    assert values["Maximal internal thoracic diameter"] == pytest.approx(235.0)
    evidence = sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert evidence.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    texts = values["texts"]
    assert f"weights_sha256={predictor.bundle.manifest['model_sha256']}" in texts
    assert f"model={prediction.model_id}" in texts


def test_raster_and_deidentified_inputs_get_placeholders_never_names(tmp_path, predictor, chest_films):
    source = pydicom.dcmread(chest_films[0], stop_before_pixels=True)
    for xray, deidentify in ((load(RASTER), False), (load(chest_films[0]), True)):
        objects = build_results(xray, predictor.predict(xray), deidentify=deidentify)
        paths = ResultWriter().write_dicom(objects, tmp_path, "x")
        for path in paths:
            assert dciodvfy_errors(path) == [], path.name
            ds = pydicom.dcmread(path)
            assert ds.PatientID == PLACEHOLDER and str(ds.PatientName).startswith(PLACEHOLDER)
            assert ds.PatientIdentityRemoved == "YES"
            assert ds.StudyInstanceUID != source.StudyInstanceUID
            assert str(source.PatientName) not in str(ds) and source.SOPInstanceUID not in str(ds)
        values = _sr_values(pydicom.dcmread(paths[1]))
        assert "Probability of cardiomegaly" in values and "Cardiothoracic ratio" not in values  # CTR is optional
    # never over an existing file: the second pair got new names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_sc.dcm", "x_sc_1.dcm", "x_sr.dcm", "x_sr_1.dcm"]


def test_segmentation_holds_the_heart_and_lungs_on_the_source_film(tmp_path, predictor, chest_films):
    """The masks as a DICOM Segmentation: three SNOMED-coded segments at the film's size, referencing it."""
    source = pydicom.dcmread(chest_films[0], stop_before_pixels=True)
    xray = load(chest_films[0])
    prediction = predictor.predict(xray)
    assert prediction.anatomy is not None, "the shipped anatomy segmenter is missing"
    objects = build_results(xray, prediction)
    [seg_path] = [p for p in ResultWriter().write_dicom(objects, tmp_path, "film") if p.name.endswith("_seg.dcm")]
    assert dciodvfy_errors(seg_path) == []
    seg = pydicom.dcmread(seg_path)
    assert seg.Modality == "SEG" and seg.SegmentationType == "BINARY"
    assert [s.SegmentLabel for s in seg.SegmentSequence] == ["Heart", "Right lung", "Left lung"]
    assert [s.SegmentedPropertyTypeCodeSequence[0].CodeValue for s in seg.SegmentSequence] == [
        "80891009",
        "3341006",
        "44029006",
    ]
    assert (seg.Rows, seg.Columns) == (source.Rows, source.Columns)
    assert (
        seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    )
    frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)  # one frame per segment
    heart = prediction.anatomy.at_image_size(prediction.anatomy.heart)
    assert frames.shape[0] == 3 and (frames[0].astype(bool) == heart).mean() > 0.999
    assert all(frame.sum() > 0 for frame in frames)

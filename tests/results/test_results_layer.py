"""The results layer on real films: one call makes the whole result, one writer names and writes every output."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from cardioview.anatomy import Caliper, CardiothoracicRatio
from cardioview.cli import main
from cardioview.imaging import load
from cardioview.results.film_result import FilmFailure, analyse, analyse_file, judged
from cardioview.results.naming import STEM_LIMIT, OutputNames
from cardioview.results.results_csv import RESULT_COLUMNS, ResultsFile, Row, write_results_csv
from cardioview.results.writer import ResultWriter
from tests.conftest import REPO_ROOT
from tests.helpers import csv_rows

CHEST = Path(get_testdata_file("RG1_UNCR.dcm"))
ANATOMY = REPO_ROOT / "weights" / "cxr_anatomy"


@pytest.fixture(scope="module")
def predictor(tiny_bundle):
    from cardioview.inference.predictor import Predictor

    anatomy = ANATOMY if (ANATOMY / "manifest.json").is_file() else False
    return Predictor(tiny_bundle, backend="onnx", device="cpu", anatomy=anatomy)


def test_one_call_judges_the_film_a_chest_cr_gets_a_verdict_an_mr_its_reason(predictor):
    chest = analyse(predictor, load(CHEST))
    assert chest.status == "ok" and chest.prediction.label in ("cardiomegaly", "no cardiomegaly")
    mr = analyse(predictor, load(get_testdata_file("MR_small.dcm")))
    assert mr.status == "unsuitable" and mr.prediction.label == "not applicable"
    assert mr.reason == "modality MR is not a plain radiograph (CR/DX)"
    assert mr.ctr is None  # no CTR is stated for a film the model does not apply to
    # a prediction made elsewhere (the viewer's worker) is judged the same way
    assert judged(predictor.predict(load(get_testdata_file("MR_small.dcm"))), mr.xray).reason == mr.reason
    row = Row.of(mr)
    assert (row.status, row.label, row.error) == ("unsuitable", "not applicable", mr.reason)
    assert row.sop_instance_uid == str(pydicom.dcmread(get_testdata_file("MR_small.dcm")).SOPInstanceUID)


def test_a_broken_file_is_a_failure_with_its_reason_never_an_exception(predictor, tmp_path):
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(CHEST.read_bytes()[:5000])
    failure = analyse_file(predictor, broken)
    assert isinstance(failure, FilmFailure) and failure.reason.startswith("broken.dcm: ")
    row = Row.of_outcome(failure, ("1.2.3", "4.5.6"))
    assert (row.status, row.sop_instance_uid, row.study_instance_uid) == ("error", "1.2.3", "4.5.6")


def test_the_ctr_is_the_segmenters_unless_the_reader_measured_or_removed_it(predictor):
    result = analyse(predictor, load(CHEST))
    if result.automatic_ctr is None:
        pytest.skip("no heart/lung segmenter in this checkout")
    assert result.ctr is result.automatic_ctr and result.ctr.ratio == pytest.approx(result.anatomy.ctr)
    reader = CardiothoracicRatio.from_calipers(Caliper(700, 1300, 1000), Caliper(300, 1500, 900))
    assert result.with_reader_ctr(reader).ctr is reader
    assert result.with_reader_ctr(None).ctr is None  # the reader removed the calipers


def test_one_naming_rule_shortens_every_output_of_a_long_name_alike(predictor, tmp_path):
    """predict used to shorten the report's name and not the DICOM files': now one stem for all."""
    long_name = tmp_path / ("chest_" + "x" * 230 + ".dcm")
    shutil.copy(CHEST, long_name)
    out = tmp_path / "out"
    assert (
        main(
            [
                "predict",
                str(long_name),
                "--out",
                str(out),
                "--weights",
                str(predictor.bundle.root),
                "--dicom-out",
                str(out / "dicom"),
                "--attention-out",
                str(out / "att"),
            ]
        )
        == 0
    )
    stem = OutputNames().stem(long_name)
    assert len(os.fsencode(stem)) <= STEM_LIMIT and stem.startswith("chest_x")
    assert [p.name for p in out.glob("*.png")] == [f"{stem}.png"]
    assert [p.name for p in (out / "att").iterdir()] == [f"{stem}.npy"]
    assert sorted(p.name for p in (out / "dicom").iterdir()) == sorted(
        f"{stem}_{kind}.dcm" for kind in ("sc", "sr", "seg") if kind != "seg" or (ANATOMY / "manifest.json").is_file()
    )
    assert OutputNames(deidentify=True).stem(long_name, 7) == "report_0007"
    assert OutputNames(True, "cardioview_result", digits=3).stem(long_name) == "cardioview_result"


def test_the_writer_never_overwrites_and_writes_private_files_when_asked(predictor, tmp_path):
    result = analyse(predictor, load(CHEST))
    writer = ResultWriter(private=True)
    first = writer.write_report(result, tmp_path / "reports", "film")
    second = writer.write_report(result, tmp_path / "reports", "film")
    assert (first.name, second.name) == ("film.png", "film_1.png")
    assert stat.S_IMODE(first.stat().st_mode) == 0o600 and stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    objects = writer.dicom_objects(result)
    written = writer.write_dicom(objects, tmp_path / "dicom", "film")
    assert [p.name for p in written][:2] == ["film_sc.dcm", "film_sr.dcm"]
    # the SC shows the PNG report's picture: the same size as the report
    sc = pydicom.dcmread(written[0])
    assert (sc.Rows, sc.Columns) == writer.report(result).image.shape[:2]
    masks = ResultWriter().write_masks(result, tmp_path / "masks", "film")
    if result.anatomy is not None:
        assert [p.name for p in masks] == ["film_heart.png", "film_lungs.png"]


def test_results_csv_whole_file_and_appends_have_the_same_columns_and_safe_cells(tmp_path):
    rows = [Row.failed("=HYPERLINK(x).dcm", "=HYPERLINK(x).dcm: not a DICOM file"), Row("a.png", "ok", "0.5")]
    (tmp_path / "a").mkdir()
    whole = write_results_csv(tmp_path / "a", rows)
    (tmp_path / "b").mkdir()
    appended = ResultsFile(tmp_path / "b")
    for row in rows:
        appended.append(row)
    assert whole.read_bytes() == appended.path.read_bytes()
    [bad, good] = csv_rows(whole)
    assert bad["path"].startswith("'=") and bad["error"].startswith("'=") and good["probability"] == "0.5"
    assert tuple(csv_rows(whole)[0]) == RESULT_COLUMNS


def test_ctr_diameters_are_in_mm_when_the_spacing_is_known_and_scaling_keeps_the_ratio():
    ctr = CardiothoracicRatio.from_calipers(Caliper(100, 250, 40), Caliper(50, 350, 30))
    assert ctr.ratio == pytest.approx(0.5) and not ctr.enlarged
    assert ctr.diameters((0.2, 0.5)) == (pytest.approx(75.0), pytest.approx(150.0), True)
    assert ctr.diameters(None) == (150.0, 300.0, False)
    half = ctr.scaled(0.5, 0.5)
    assert half.ratio == pytest.approx(ctr.ratio) and half.heart.width == pytest.approx(75.0)
    assert CardiothoracicRatio(0.6).scaled(2, 2).ratio == 0.6
    with pytest.raises(ValueError):
        CardiothoracicRatio(float("nan"))
    assert np.isfinite(ctr.to_dict()["ratio"])

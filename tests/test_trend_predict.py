"""`cardioview predict` trend outputs (issue 23): trend.csv, trend plots, pseudonyms, reports with the prior."""

import shutil

import numpy as np
import pydicom
import pytest
from PIL import Image

from cardioview.cli import main
from cardioview.comparison.pseudonym import ENV_KEY, pseudonym
from cardioview.comparison.trend import TREND_COLUMNS
from cardioview.render.report import read_report_metadata
from tests.comparison_films import (
    CR_PATIENT,
    NIH_FILMS,
    NIH_PATIENT,
    cr_patient_studies,
    nih_patient_studies,
)
from tests.dicom_factory import NIH1024
from tests.helpers import csv_rows


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    """Two patients' dated studies (NIH AP/PA mixed; RG1 twice in one day) plus a raster NIH film."""
    folder = tmp_path_factory.mktemp("studies")
    nih = nih_patient_studies(folder / "nih", size=256)
    cr = cr_patient_studies(folder / "cr")
    raster = folder / "raster.png"
    if not (NIH1024 / "00000001_000.png").is_file():
        pytest.skip("NIH images absent")
    shutil.copy(NIH1024 / "00000001_000.png", raster)
    return folder, nih, cr, raster


@pytest.fixture(scope="module")
def predicted(studies, tiny_bundle, tmp_path_factory):
    folder, *_ = studies
    out = tmp_path_factory.mktemp("out")
    assert (
        main(
            [
                "predict",
                str(folder),
                "--out",
                str(out),
                "--weights",
                str(tiny_bundle),
                "--dicom-out",
                str(out / "dicom"),
            ]
        )
        == 0
    )
    return out


def test_trend_csv_rows_sorted_with_changes(studies, predicted):
    _folder, nih, cr, _raster = studies
    rows = csv_rows(predicted / "trend.csv")
    assert tuple(rows[0]) == TREND_COLUMNS
    # raster films carry no patient data: no trend row; every DICOM film has one, by patient then date
    assert [r["path"] for r in rows] == [str(p) for p in cr + nih]
    assert [r["patient"] for r in rows] == [CR_PATIENT] * 2 + [NIH_PATIENT] * 3
    assert [r["study_date"] for r in rows[2:]] == ["2019-03-10", "2020-04-12", "2021-05-15"]
    assert [r["view"] for r in rows] == ["PA", "AP"] + [view for _, view, _ in NIH_FILMS]
    results = {r["path"]: r for r in csv_rows(predicted / "results.csv")}
    for first in (rows[0], rows[2]):
        assert first["ctr_change"] == "" and first["probability_change"] == ""
    for previous, row in ((rows[0], rows[1]), (rows[2], rows[3]), (rows[3], rows[4])):
        assert row["probability"] == results[row["path"]]["probability"]
        assert row["ctr"] == results[row["path"]]["ctr"]
        expected = float(row["probability"]) - float(previous["probability"])
        assert float(row["probability_change"]) == pytest.approx(expected, abs=2e-4)
        if row["ctr"] and previous["ctr"]:
            assert float(row["ctr_change"]) == pytest.approx(float(row["ctr"]) - float(previous["ctr"]), abs=2e-4)
    assert rows[2]["ctr"] != "", "the segmenter measured the NIH film"


def test_trend_plots_one_per_patient_with_two_studies(predicted):
    plots = sorted(p.name for p in (predicted / "trend").iterdir())
    assert plots == [f"{CR_PATIENT}.png", f"{NIH_PATIENT}.png"]
    image = np.asarray(Image.open(predicted / "trend" / f"{NIH_PATIENT}.png").convert("RGB"))
    assert image.shape == (520, 900, 3)
    blue = np.all(image == (31, 119, 180), axis=-1).sum()
    orange = np.all(image == (230, 120, 20), axis=-1).sum()
    assert blue > 200 and orange > 200  # the CTR and the P series are drawn
    red = np.all(image == (180, 0, 0), axis=-1).sum()
    assert red > 50  # the AP/PA caution (films 002 AP, 020/023 PA)


def test_reports_and_sr_carry_the_prior(studies, predicted):
    _folder, nih, _cr, _raster = studies
    first = read_report_metadata(predicted / f"{nih[0].stem}.png")
    second = read_report_metadata(predicted / f"{nih[1].stem}.png")
    assert first["comparison"] is None
    comparison = second["comparison"]
    assert comparison["prior_study_date"] == "2019-03-10" and comparison["prior_view"] == "AP"
    assert comparison["interval_days"] == 399
    assert "views differ (AP prior, PA now)" in comparison["caution"]
    assert any(line.startswith("Prior 2019-03-10 (AP): CTR") for line in second["lines"])
    assert "Comparison with prior" in second["lines"]
    third = read_report_metadata(predicted / f"{nih[2].stem}.png")
    assert third["comparison"]["prior_study_date"] == "2020-04-12" and third["comparison"]["caution"] == ""
    sr = pydicom.dcmread(predicted / "dicom" / f"{nih[1].stem}_sr.dcm")
    names = {item.ConceptNameCodeSequence[0].CodeMeaning: item for item in _content(sr)}
    assert names["Interval since the prior study"].MeasuredValueSequence[0].NumericValue == 399
    assert "Change in probability since the prior study" in names
    assert "Prior study of another view position (AP vs PA)" in names
    first_sr = pydicom.dcmread(predicted / "dicom" / f"{nih[0].stem}_sr.dcm")
    assert not any("prior" in item.ConceptNameCodeSequence[0].CodeMeaning for item in _content(first_sr))


def _content(ds):
    for item in getattr(ds, "ContentSequence", []):
        if "ConceptNameCodeSequence" in item:
            yield item
        yield from _content(item)


def test_deidentified_trend_uses_keyed_pseudonyms(studies, tiny_bundle, tmp_path, monkeypatch):
    folder, _nih, _cr, _raster = studies
    monkeypatch.setenv(ENV_KEY, "a test key of twenty-four chars")
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert (
            main(
                [
                    "predict",
                    str(folder / "nih"),
                    "--out",
                    str(out),
                    "--weights",
                    str(tiny_bundle),
                    "--deidentify",
                    "--no-report",
                    "--no-anatomy",
                ]
            )
            == 0
        )
        outs.append(out)
    rows = [csv_rows(out / "trend.csv") for out in outs]
    expected = pseudonym(NIH_PATIENT, b"a test key of twenty-four chars")
    assert {r["patient"] for r in rows[0]} == {expected} == {r["patient"] for r in rows[1]}  # stable across runs
    assert NIH_PATIENT not in (outs[0] / "trend.csv").read_text()
    assert [p.name for p in (outs[0] / "trend").iterdir()] == [f"{expected}.png"]
    monkeypatch.setenv(ENV_KEY, "another key, also long enough")
    assert pseudonym(NIH_PATIENT, b"another key, also long enough") != expected  # keyed: not a plain hash


def test_rasters_alone_form_no_trend(studies, tiny_bundle, tmp_path):
    _folder, _nih, _cr, raster = studies
    out = tmp_path / "out"
    assert main(["predict", str(raster), "--out", str(out), "--weights", str(tiny_bundle), "--no-report"]) == 0
    assert not (out / "trend.csv").exists() and not (out / "trend").exists()

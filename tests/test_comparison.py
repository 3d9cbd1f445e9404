"""The headless comparison (issue 23): priors, changes, pseudonyms, hostile patient IDs in trend outputs."""

import os
import stat
from pathlib import Path

import numpy as np
from PIL import Image

from cardioview.comparison.change import compare, view_caution
from cardioview.comparison.films import FilmRecord, prior_of
from cardioview.comparison.predict_hook import write_trend_outputs
from cardioview.comparison.pseudonym import ENV_KEY, pseudonym, pseudonym_key
from tests.helpers import csv_rows


def film(patient="P1", date="20200101", time="", uid="1.2.3", view="PA", p=0.4, ctr=0.45, name="a.dcm"):
    return FilmRecord(patient, date, time, uid, Path(name), view, p, ctr, 0.5)


def test_prior_is_the_latest_earlier_study_never_the_same_one():
    current = film(date="20210101", uid="1.9", name="now.dcm")
    films = [
        film(date="20190101", uid="1.1", name="old.dcm"),
        film(date="20200101", uid="1.2", name="prior.dcm"),
        film(date="20210101", uid="1.9", name="same_study_other_film.dcm"),
        film(date="20220101", uid="1.3", name="later.dcm"),
        film(patient="P2", date="20200601", uid="1.4"),
        film(date="", uid="1.5", name="undated.dcm"),
        current,
    ]
    assert prior_of(current, films).path.name == "prior.dcm"
    assert prior_of(film(date="20190101", uid="1.1"), films) is None
    assert prior_of(film(patient=""), films) is None  # a raster names no patient


def test_change_and_view_caution():
    change = compare(film(view="PA", p=0.7, ctr=0.55, date="20210101"), film(view="AP", p=0.5, ctr=None))
    assert change.probability_change == 0.7 - 0.5 and change.ctr_change is None
    assert "AP prior, PA now" in change.caution
    assert view_caution("PA", "PA") == "" and view_caution("", "AP") == "" and view_caution("AP", "LL") == ""


def test_pseudonym_key_is_created_once_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    key = pseudonym_key(tmp_path)
    assert len(key) == 32 and pseudonym_key(tmp_path) == key
    assert stat.S_IMODE(os.stat(tmp_path / "pseudonym.key").st_mode) == 0o600
    monkeypatch.setenv(ENV_KEY, "short")  # too short to be a key: the file's key is used
    assert pseudonym_key(tmp_path) == key
    assert pseudonym("PAT-1", key) == pseudonym("PAT-1", key) != pseudonym("PAT-2", key)
    assert pseudonym("PAT-1", key) != pseudonym("PAT-1", os.urandom(32))


def test_hostile_patient_ids_stay_cells_and_file_names(tmp_path):
    films = [
        film(patient='=HYPERLINK("http://x")', date="20200101", uid="1.1", name="a.dcm"),
        film(patient='=HYPERLINK("http://x")', date="20200101", time="120000", uid="1.2", name="b.dcm"),
        film(patient="../../escape", date="20200101", uid="2.1", name="c.dcm"),
        film(patient="../../escape", date="20210101", uid="2.2", name="d.dcm", view="AP"),
    ]
    written = write_trend_outputs(tmp_path, films, deidentify=False, key_folder=tmp_path)
    assert all(p.resolve().is_relative_to(tmp_path.resolve()) for p in written)
    rows = csv_rows(tmp_path / "trend.csv")
    assert {r["patient"] for r in rows} == {'\'=HYPERLINK("http://x")', "../../escape"}
    plots = sorted(p.name for p in (tmp_path / "trend").iterdir())
    assert plots == ["HYPERLINK_http_x.png", "escape.png"]
    # two studies on one day (a single x position) still draw
    image = np.asarray(Image.open(tmp_path / "trend" / "HYPERLINK_http_x.png"))
    assert image.shape == (520, 900, 3) and image.std() > 10


def test_predict_reports_an_unwritable_trend_and_keeps_going(tmp_path, capsys):
    from cardioview.comparison.predict_hook import predict_trends

    blocker = tmp_path / "out"
    blocker.mkdir()
    (blocker / "trend").write_text("a file where the plot folder would go")
    films = [film(date="20200101", uid="1.1"), film(date="20210101", uid="1.2", name="b.dcm")]
    written = predict_trends(blocker, films, deidentify=False)
    assert written == [] and (blocker / "trend.csv").is_file()  # the csv is written, the plot folder fails
    assert "trend outputs incomplete" in capsys.readouterr().err

"""`cardioview predict` end to end: real files, bad files, exit codes, no overwrites."""

import os
import shutil

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from cardioview.cli import main
from cardioview.render.report import read_report_metadata
from tests.conftest import NIH1024, require_shared_data
from tests.dicom_factory import not_applicable_folder
from tests.helpers import csv_rows


def _snapshot(folder):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture()
def mixed_folder(tmp_path):
    """Real images and every kind of bad file, as a user's folder might hold."""
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(get_testdata_file("RG1_UNCR.dcm"), folder / "chest_cr.dcm")
    shutil.copy(get_testdata_file("JPEG2000.dcm"), folder / "sub" / "j2k.dcm")
    (folder / "empty.dcm").write_bytes(b"")
    (folder / "garbage.dcm").write_bytes(b"\0" * 128 + b"DICM" + os.urandom(2000))
    (folder / "notes.png").write_text("this is not a picture")
    (folder / "README.txt").write_text("stray file, skipped and counted")
    return folder


def test_predict_folder_with_bad_files(mixed_folder, tmp_path, tiny_bundle, capsys):
    before = _snapshot(mixed_folder)
    out = tmp_path / "out"
    code = main(["predict", str(mixed_folder), "--out", str(out), "--weights", str(tiny_bundle)])
    assert code == 1  # some failed, the rest done
    assert _snapshot(mixed_folder) == before  # nothing written or touched next to the sources

    rows = {os.path.basename(r["path"]): r for r in csv_rows(out / "results.csv")}
    assert set(rows) == {"chest_cr.dcm", "j2k.dcm", "empty.dcm", "garbage.dcm", "notes.png"}
    assert list(csv_rows(out / "results.csv")[0]) == [
        "path",
        "status",
        "probability",
        "threshold",
        "label",
        "ctr",
        "ctr_source",
        "model",
        "elapsed_ms",
        "warnings",
        "error",
        "sop_instance_uid",
        "study_instance_uid",
    ]
    assert rows["chest_cr.dcm"]["status"] == "ok"
    assert rows["chest_cr.dcm"]["sop_instance_uid"] and rows["chest_cr.dcm"]["study_instance_uid"]
    assert rows["notes.png"]["sop_instance_uid"] == ""  # a film that did not load names no UID
    # JPEG2000.dcm is a whole-body NM scan: analysed, but no verdict.
    assert rows["j2k.dcm"]["status"] == "unsuitable" and rows["j2k.dcm"]["label"] == "not applicable"
    assert "modality NM" in rows["j2k.dcm"]["error"]
    for good in ("chest_cr.dcm", "j2k.dcm"):
        assert 0.0 <= float(rows[good]["probability"]) <= 1.0
        assert rows[good]["model"].startswith("tiny_test@")
    for bad in ("empty.dcm", "garbage.dcm", "notes.png"):
        assert rows[bad]["status"] == "error"
        assert rows[bad]["error"].startswith(bad) and "\n" not in rows[bad]["error"]
        assert "Traceback" not in rows[bad]["error"]
    assert "MR" in rows["j2k.dcm"]["warnings"] or rows["j2k.dcm"]["warnings"]  # not a chest radiograph
    reports = sorted(p.name for p in out.glob("*.png"))
    assert reports == ["chest_cr.png", "j2k.png"]
    assert read_report_metadata(out / "chest_cr.png")["prediction"]["probability"] == pytest.approx(
        float(rows["chest_cr.dcm"]["probability"]), abs=1e-4
    )
    err = capsys.readouterr().err
    assert "1 non-image file(s) skipped" in err and "Traceback" not in err


def test_second_run_never_overwrites(tmp_path, tiny_bundle):
    src = tmp_path / "one.dcm"
    shutil.copy(get_testdata_file("RG1_UNCR.dcm"), src)
    out = tmp_path / "out"
    for _ in range(2):
        assert main(["predict", str(src), "--out", str(out), "--weights", str(tiny_bundle)]) == 0
    # trend.csv (issue 23): the DICOM names its patient and date, so it has a trend row; never overwritten either
    assert sorted(p.name for p in out.iterdir()) == [
        "one.png",
        "one_1.png",
        "results.csv",
        "results_1.csv",
        "trend.csv",
        "trend_1.csv",
    ]


def test_deidentify_and_attention_out(tmp_path, tiny_bundle):
    src = tmp_path / "Doe_John.dcm"
    shutil.copy(get_testdata_file("RG1_UNCR.dcm"), src)
    out, att = tmp_path / "out", tmp_path / "att"
    assert (
        main(
            [
                "predict",
                str(src),
                "--out",
                str(out),
                "--weights",
                str(tiny_bundle),
                "--deidentify",
                "--attention-out",
                str(att),
                "--threshold",
                "0.25",
            ]
        )
        == 0
    )
    (report,) = out.glob("*.png")
    assert "Doe" not in report.name
    meta = read_report_metadata(report)
    assert meta["deidentified"] is True
    assert "Doe" not in str(meta) and "Anonymized" not in str(meta.get("study", ""))
    assert meta["prediction"]["threshold"] == 0.25
    # one naming rule for every output: the attention map is numbered like the report, no name in it
    assert [p.name for p in att.iterdir()] == ["report_0001.npy"] and report.name == "report_0001.png"
    w = np.load(att / "report_0001.npy")
    assert w.dtype == np.float32 and w.shape == (2, 2)  # 64 px input -> 2x2 map
    assert 0.0 <= w.min() <= w.max() <= 1.0


def test_full_resolution_on_a_real_nih_image(tmp_path, tiny_bundle):
    require_shared_data(NIH1024)
    out, att = tmp_path / "out", tmp_path / "att"
    src = NIH1024 / "images" / "00000001_000.png"
    assert (
        main(
            [
                "predict",
                str(src),
                "--out",
                str(out),
                "--weights",
                str(tiny_bundle),
                "--no-report",
                "--full-resolution",
                "--attention-out",
                str(att),
            ]
        )
        == 0
    )
    assert np.load(att / "00000001_000.npy").shape == (32, 32)  # 1024 px / 32
    assert not list(out.glob("*.png"))
    (row,) = csv_rows(out / "results.csv")
    assert "full resolution" in row["warnings"]


def test_unusable_weights_and_bad_usage_exit_2(tmp_path, tiny_bundle, capsys):
    src = get_testdata_file("RG1_UNCR.dcm")
    broken = shutil.copytree(tiny_bundle, tmp_path / "broken")
    with open(broken / "model.onnx", "ab") as f:
        f.write(b"x")
    assert main(["predict", src, "--out", str(tmp_path / "o1"), "--weights", str(broken), "--backend", "onnx"]) == 2
    assert "hash check" in capsys.readouterr().err
    assert main(["predict", src, "--out", str(tmp_path / "o2"), "--weights", str(tmp_path / "nowhere")]) == 2
    assert (
        main(["predict", str(tmp_path / "missing.dcm"), "--out", str(tmp_path / "o3"), "--weights", str(tiny_bundle)])
        == 2
    )
    assert (
        main(["predict", src, "--out", str(tmp_path / "o4"), "--weights", str(tiny_bundle), "--threshold", "1.5"]) == 2
    )


def test_default_inputs_are_the_bundled_samples(tmp_path, tiny_bundle):
    out = tmp_path / "out"
    assert main(["predict", "--out", str(out), "--weights", str(tiny_bundle), "--no-report"]) == 0
    rows = csv_rows(out / "results.csv")
    assert len(rows) >= 2 and all(r["status"] == "ok" for r in rows)


def test_not_applicable_films_get_no_verdict(tmp_path, tiny_bundle, capsys):
    """MR head, CT, extremity CR: status unsuitable with the reason, no label, 'not applicable' in the report."""
    folder = not_applicable_folder(tmp_path / "mixed")
    out = tmp_path / "out"
    assert main(["predict", str(folder), "--out", str(out), "--weights", str(tiny_bundle)]) == 0
    rows = {os.path.basename(r["path"]): r for r in csv_rows(out / "results.csv")}
    assert rows["chest_cr.dcm"]["status"] == "ok"
    assert rows["chest_cr.dcm"]["label"] in ("cardiomegaly", "no cardiomegaly")
    reasons = {"mr_head.dcm": "modality MR", "ct.dcm": "modality CT", "tibia_cr.dcm": "body part EXTREMITY"}
    for name, reason in reasons.items():
        assert rows[name]["status"] == "unsuitable", name
        assert rows[name]["label"] == "not applicable"
        assert reason in rows[name]["error"]
        assert 0.0 <= float(rows[name]["probability"]) <= 1.0  # kept in its column
        meta = read_report_metadata(out / name.replace(".dcm", ".png"))
        assert meta["prediction"]["label"] == "not applicable"
        assert any(line.startswith("Not applicable: " + reason) for line in meta["lines"])
        assert not any("for cardiomegaly at threshold" in line for line in meta["lines"])
    assert "3 not applicable" in capsys.readouterr().err

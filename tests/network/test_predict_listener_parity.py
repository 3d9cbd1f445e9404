"""One folder of mixed real films through ``cardioview predict`` and through the real listener: the same rows.

The listener is started here and fed over DICOM (pynetdicom C-STORE, as a modality would). Both go through
cardioview/results, so each film gets the same status, probability, CTR, label, reason and warnings, and
the chest film's Structured Report states the CTR its results.csv row gives, from either front-end.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pynetdicom import AE

from cardioview.cli import main
from cardioview.network.listener import Listener, ListenerOptions
from tests.helpers import csv_rows
from tests.network.films import downsized_copy, rg1_uncr

#: name in the folder -> pydicom-data file (None: made by the test)
FILMS = {
    "chest.dcm": "RG1_UNCR.dcm",
    "extremity.dcm": "RG3_UNCR.dcm",
    "mr.dcm": "MR_small.dcm",
    "ct.dcm": "CT_small.dcm",
    "us.dcm": "US1_UNCR.dcm",
    "rgb.dcm": "SC_rgb.dcm",
    "broken.dcm": None,
}
COMPARED = ("status", "probability", "threshold", "ctr", "label", "warnings")


def _mixed_folder(folder: Path) -> dict[str, str]:
    """The films, and each one's SOP Instance UID by name."""
    folder.mkdir()
    for name, source in FILMS.items():
        if source is not None:
            shutil.copy(get_testdata_file(source), folder / name)
    broken = downsized_copy(rg1_uncr(), folder / "broken.dcm", factor=8)
    ds = pydicom.dcmread(broken)
    ds.PixelData = ds.PixelData[: len(ds.PixelData) // 3]  # the header reads, the pixels do not
    ds.save_as(broken, enforce_file_format=True)
    return {name: str(pydicom.dcmread(folder / name, stop_before_pixels=True).SOPInstanceUID) for name in FILMS}


def _reason(row: dict) -> str:
    """The error cell without the file name it starts with (predict names the input, the listener its copy)."""
    prefix = f"{Path(row['path']).name}: "
    return row["error"][len(prefix) :] if row["error"].startswith(prefix) else row["error"]


def _push(port: int, paths: list[Path]) -> dict[str, int | None]:
    """C-STORE each film in one association; None for a film whose class the listener did not accept."""
    ae = AE(ae_title="MODALITY")
    datasets = [pydicom.dcmread(p) for p in paths]
    for uid in sorted({str(ds.SOPClassUID) for ds in datasets}):
        ae.add_requested_context(
            uid, [str(ds.file_meta.TransferSyntaxUID) for ds in datasets if str(ds.SOPClassUID) == uid][:1]
        )
    assoc = ae.associate("127.0.0.1", port, ae_title="CARDIOVIEW")
    assert assoc.is_established
    accepted = {str(c.abstract_syntax) for c in assoc.accepted_contexts}
    try:
        return {
            p.name: (int(assoc.send_c_store(ds).Status) if str(ds.SOPClassUID) in accepted else None)
            for p, ds in zip(paths, datasets)
        }
    finally:
        assoc.release()


def _sr_ctr(path: Path) -> float | None:
    def walk(items):
        for item in items:
            if item.ValueType == "NUM" and item.ConceptNameCodeSequence[0].CodeMeaning == "Cardiothoracic ratio":
                return float(item.MeasuredValueSequence[0].NumericValue)
            found = walk(item.get("ContentSequence", []))
            if found is not None:
                return found
        return None

    return walk(pydicom.dcmread(path).ContentSequence)


def test_predict_and_the_listener_give_the_same_rows_for_a_folder_of_mixed_films(predictor, tmp_path):
    folder = tmp_path / "films"
    uids = _mixed_folder(folder)
    out = tmp_path / "predict"
    assert main(["predict", str(folder), "--out", str(out), "--dicom-out", str(out / "dicom")]) == 1  # one broken
    by_predict = {Path(r["path"]).name: r for r in csv_rows(out / "results.csv")}
    assert set(by_predict) == set(FILMS)

    listener = Listener(predictor, tmp_path / "listener", ListenerOptions(port=0, host="127.0.0.1"))
    listener.start()
    try:
        statuses = _push(listener.port, sorted(folder.iterdir()))
        received = [name for name, status in statuses.items() if status is not None]
        assert listener.wait_idle(len(received), timeout=300)
    finally:
        listener.stop()
    by_uid = {r["sop_instance_uid"]: r for r in csv_rows(tmp_path / "listener" / "results.csv")}

    # MR, CT and US are refused at the association (a PACS must not believe they are read); predict says why
    assert sorted(n for n, s in statuses.items() if s is None) == ["ct.dcm", "mr.dcm", "us.dcm"]
    for name in ("ct.dcm", "mr.dcm", "us.dcm"):
        assert by_predict[name]["status"] == "unsuitable" and "not a plain radiograph" in by_predict[name]["error"]
    assert all(statuses[name] == 0x0000 for name in received)
    assert len(by_uid) == len(received) == 4
    for name in received:  # row by row, the same answers
        ours, theirs = by_predict[name], by_uid[uids[name]]
        assert {c: ours[c] for c in COMPARED} == {c: theirs[c] for c in COMPARED}, name
        assert _reason(ours) == _reason(theirs), name
    assert {n: by_predict[n]["status"] for n in received} == {
        "chest.dcm": "ok",
        "extremity.dcm": "unsuitable",
        "rgb.dcm": "unsuitable",
        "broken.dcm": "error",
    }
    assert "truncated DICOM" in _reason(by_predict["broken.dcm"]) and by_predict["chest.dcm"]["probability"]
    chest = by_predict["chest.dcm"]
    if not chest["ctr"]:
        pytest.skip("no heart/lung segmenter in this checkout: no CTR to compare")
    # the SR of each front-end states the CTR of the row
    [predict_sr] = (out / "dicom").glob("chest_sr.dcm")
    [listener_sr] = (tmp_path / "listener" / "dicom").glob("*_sr.dcm")  # only the chest film is written
    assert _sr_ctr(predict_sr) == pytest.approx(float(chest["ctr"]), abs=1e-4)
    assert _sr_ctr(listener_sr) == pytest.approx(float(chest["ctr"]), abs=1e-4)

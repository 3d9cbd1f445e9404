"""The triage listener against a real Orthanc: pushed studies, forwarded results, bad input, a burst, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess

import pydicom
import pytest
from pydicom.uid import generate_uid
from pynetdicom import AE

from cardioview.network import dimse
from cardioview.network.listener import Listener, ListenerOptions
from cardioview.network.nodes import Node
from cardioview.results.results_csv import RESULT_COLUMNS
from tests.conftest import REPO_ROOT
from tests.helpers import cardioview_command, child_env, csv_rows, wait_until_answering
from tests.network.films import downsized_copy, rg1_uncr
from tests.network.orthanc import LISTENER_AET, ORTHANC_AET, free_port


def rows(out) -> list[dict]:
    return csv_rows(out / "results.csv", RESULT_COLUMNS)


def orthanc_node(orthanc) -> Node:
    return Node(name="orthanc", ae_title=ORTHANC_AET, host="127.0.0.1", port=orthanc.dicom_port)


def test_listener_analyses_a_study_pushed_by_orthanc_and_forwards_sc_and_sr(orthanc, predictor, scp_ports, tmp_path):
    from pydicom.data import get_testdata_file

    orthanc.clear()
    chest = downsized_copy(rg1_uncr(), tmp_path / "chest.dcm", factor=2)
    extremity = get_testdata_file("RG3_UNCR.dcm")  # a CR of an extremity: stored, skipped
    study = orthanc.upload(chest)["ParentStudy"]
    orthanc.upload(extremity)
    listener = Listener(
        predictor,
        tmp_path / "out",
        ListenerOptions(
            ae_title=LISTENER_AET, port=scp_ports["listener"], host="127.0.0.1", forward=orthanc_node(orthanc)
        ),
    )
    listener.start()
    try:
        orthanc.rest("/modalities/listener/store", study.encode(), method="POST")
        orthanc.rest(
            "/modalities/listener/store",
            orthanc.rest("/tools/lookup", pydicom.dcmread(extremity).SOPInstanceUID.encode(), method="POST")[0][
                "ID"
            ].encode(),
            method="POST",
        )
        assert listener.wait_idle(2, timeout=120)
    finally:
        listener.stop()
    by_status = {r["status"]: r for r in rows(tmp_path / "out")}
    assert set(by_status) == {"ok", "unsuitable"}
    ok = by_status["ok"]
    assert 0.0 <= float(ok["probability"]) <= 1.0 and ok["label"] in ("cardiomegaly", "no cardiomegaly")
    assert "results sent to forward" in ok["warnings"] or "results sent to orthanc" in ok["warnings"]
    assert "body part EXTREMITY is not the chest" in by_status["unsuitable"]["error"]
    assert len(list((tmp_path / "out" / "received").glob("*.dcm"))) == 2
    assert ok["sop_instance_uid"] == pydicom.dcmread(chest, stop_before_pixels=True).SOPInstanceUID
    # the SC, SR and the heart/lung Segmentation came back into the source study on Orthanc
    modalities = sorted(
        orthanc.rest(f"/series/{s}")["MainDicomTags"]["Modality"] for s in orthanc.rest(f"/studies/{study}")["Series"]
    )
    assert modalities == ["CR", "OT", "SEG", "SR"]


def test_listener_survives_malformed_data_and_an_aborted_association(predictor, tmp_path):
    listener = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, host="127.0.0.1", dicom_results=False))
    listener.start()
    node = Node(name="listener", ae_title="CARDIOVIEW", host="127.0.0.1", port=listener.port)
    try:
        bad = pydicom.dcmread(downsized_copy(rg1_uncr(), tmp_path / "bad.dcm", factor=8))
        bad.PixelData = bad.PixelData[: len(bad.PixelData) // 3]  # truncated pixels: unreadable film
        ae = AE(ae_title="ABORTER")
        ae.add_requested_context(bad.SOPClassUID)
        assoc = ae.associate("127.0.0.1", listener.port, ae_title="CARDIOVIEW")
        assert assoc.is_established
        assoc.abort()  # mid-conversation
        good = downsized_copy(rg1_uncr(), tmp_path / "good.dcm", factor=8)
        assert dimse.store(node, [bad, good]) == 2
        assert listener.wait_idle(2, timeout=60)
    finally:
        listener.stop()
    result = {r["status"]: r for r in rows(tmp_path / "out")}
    assert set(result) == {"error", "ok"}
    assert "000001.dcm" in result["error"]["error"]


def test_burst_of_500_images_gives_500_rows(predictor, tmp_path):
    source = downsized_copy(rg1_uncr(), tmp_path / "small.dcm", factor=8)
    films = [pydicom.dcmread(source) for _ in range(500)]
    for ds in films:
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    listener = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, host="127.0.0.1", dicom_results=False))
    listener.start()
    try:
        assert (
            dimse.store(Node(name="l", ae_title="CARDIOVIEW", host="127.0.0.1", port=listener.port), films, timeout=120)
            == 500
        )
        assert listener.wait_idle(500, timeout=600)
    finally:
        listener.stop()
    written = rows(tmp_path / "out")
    assert len(written) == 500 and {r["status"] for r in written} == {"ok"}
    assert len({r["path"] for r in written}) == 500


def test_listen_command_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        cardioview_command("listen", "--port", port, "--host", "127.0.0.1", "--out", tmp_path / "out"),
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        node = Node(name="l", ae_title="CARDIOVIEW", host="127.0.0.1", port=port)
        wait_until_answering(node, process, timeout=120)
        dimse.store(node, [downsized_copy(rg1_uncr(), tmp_path / "f.dcm", factor=4)])
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"listening as CARDIOVIEW on 127.0.0.1:{port} for any calling AE" in err  # the bound address, stated
    assert "received 1 (+0 recovered, 0 duplicates, 0 refused): 1 analysed" in err
    [row] = rows(tmp_path / "out")
    assert row["status"] == "ok"
    sc_sr = sorted(p.name.rsplit("_", 1)[-1] for p in (tmp_path / "out" / "dicom").glob("*.dcm"))
    assert sc_sr == ["sc.dcm", "seg.dcm", "sr.dcm"]


def test_dcmtk_storescu_push_gives_rows_reports_and_judges_as_predict_does(predictor, tmp_path):
    """Another vendor's SCU (DCMTK's storescu) pushes a chest film, the same film stored with modality RG, an
    extremity CR and a chest thumbnail; both chest films are analysed with their PNG reports, the others get the
    reason of `cardioview predict` (imaging/suitability.py). An MR is refused at the association: not analysed here."""
    import shutil

    from pydicom.data import get_testdata_file

    storescu = shutil.which("storescu")
    if storescu is None:
        pytest.skip("DCMTK's storescu is not installed (Debian: apt-get install dcmtk)")
    chest = downsized_copy(rg1_uncr(), tmp_path / "chest.dcm", factor=4)
    digitised = downsized_copy(rg1_uncr(), tmp_path / "rg.dcm", factor=4, Modality="RG")
    extremity = get_testdata_file("RG3_UNCR.dcm")
    thumbnail = downsized_copy(rg1_uncr(), tmp_path / "thumb.dcm", factor=32)
    listener = Listener(
        predictor, tmp_path / "out", ListenerOptions(port=0, host="127.0.0.1", dicom_results=False, reports=True)
    )
    listener.start()
    try:
        done = subprocess.run(
            [
                storescu,
                "-aet",
                "DCMTKSCU",
                "-aec",
                "CARDIOVIEW",
                "127.0.0.1",
                str(listener.port),
                str(chest),
                str(digitised),
                str(extremity),
                str(thumbnail),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert listener.wait_idle(4, timeout=120)
        mr = subprocess.run(
            [storescu, "-aec", "CARDIOVIEW", "127.0.0.1", str(listener.port), get_testdata_file("MR_small.dcm")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert mr.returncode != 0 and "No presentation context" in mr.stderr + mr.stdout
    finally:
        listener.stop()
    written = rows(tmp_path / "out")
    assert len(written) == 4 and [r["status"] for r in written].count("ok") == 2
    ok = next(r for r in written if r["status"] == "ok")
    assert (ok["ctr"] and 0.3 < float(ok["ctr"]) < 0.8) or "no CTR" in ok["warnings"]  # the segmenter ran
    unsuitable = sorted(r["error"] for r in written if r["status"] == "unsuitable")
    assert any("body part EXTREMITY is not the chest" in e for e in unsuitable)
    assert any("under 128 px" in e for e in unsuitable)
    assert len(list((tmp_path / "out" / "received").glob("*.dcm"))) == 4  # every accepted object stored
    reports = sorted(p.stem for p in (tmp_path / "out" / "reports").glob("*.png"))
    assert reports == sorted(os.path.splitext(os.path.basename(r["path"]))[0] for r in written if r["status"] == "ok")
    from PIL import Image

    with Image.open(tmp_path / "out" / "reports" / f"{reports[0]}.png") as image:  # a real annotated report
        assert image.mode == "RGB" and image.width > 500
        meta = image.text
    first = next(r for r in written if r["status"] == "ok" and reports[0] in r["path"])
    assert any(first["probability"][:4] in value for value in meta.values())

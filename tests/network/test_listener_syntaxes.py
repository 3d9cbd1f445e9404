"""Transfer syntaxes: DCMTK's storescu pushes a real chest CR in each syntax the listener accepts, Orthanc forwards
a compressed film without transcoding, a CT is refused, and ``pacs send`` names a syntax the listener refuses."""

from __future__ import annotations

import shutil
import subprocess

import pydicom
import pytest
from pydicom.encaps import encapsulate

from cardioview.cli import main
from cardioview.network.contexts import ACCEPTED_SYNTAXES
from cardioview.network.listener import Listener, ListenerOptions
from tests.network.films import downsized_copy, films_in_every_syntax, rg1_uncr
from tests.network.orthanc import LISTENER_AET
from tests.network.test_listener import rows

CR = "1.2.840.10008.5.1.4.1.1.1"


def storescu_config(folder, syntaxes) -> str:
    """A storescu config with one profile per syntax, each proposing CR Image Storage in that syntax only."""
    lines = ["[[TransferSyntaxes]]"]
    lines += [f"[TS{i}]\nTransferSyntax1 = {uid}" for i, uid in enumerate(syntaxes)]
    lines += ["[[PresentationContexts]]"]
    lines += [f"[PC{i}]\nPresentationContext1 = {CR}\\TS{i}" for i in range(len(syntaxes))]
    lines += ["[[Profiles]]"]
    lines += [f"[P{i}]\nPresentationContexts = PC{i}" for i in range(len(syntaxes))]
    path = folder / "storescu.cfg"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_storescu_pushes_a_chest_film_in_every_accepted_syntax(predictor, tmp_path):
    storescu = shutil.which("storescu")
    if storescu is None:
        pytest.skip("DCMTK's storescu is not installed (Debian: apt-get install dcmtk)")
    films = films_in_every_syntax(tmp_path / "films")
    assert set(films) == {str(uid) for uid in ACCEPTED_SYNTAXES}
    syntaxes = sorted(films)
    config = storescu_config(tmp_path, syntaxes)
    listener = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, dicom_results=False))
    listener.start()
    try:
        for i, uid in enumerate(syntaxes):  # one association per syntax, proposing only that syntax
            done = subprocess.run(
                [
                    storescu,
                    "-xf",
                    config,
                    f"P{i}",
                    "-aec",
                    "CARDIOVIEW",
                    "127.0.0.1",
                    str(listener.port),
                    str(films[uid]),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, f"{uid}: {done.stderr}"
        assert listener.wait_idle(len(films), timeout=300)
    finally:
        listener.stop()
    written = rows(tmp_path / "out")
    assert len(written) == len(films)
    by_syntax = {}
    for row in written:  # stored as sent: never transcoded
        syntax = str(pydicom.dcmread(row["path"], stop_before_pixels=True).file_meta.TransferSyntaxUID)
        by_syntax[syntax] = row
    assert set(by_syntax) == set(films)
    failed = {uid: r["error"] for uid, r in by_syntax.items() if r["status"] != "ok"}
    assert failed == {}
    for uid, row in by_syntax.items():
        assert row["sop_instance_uid"] == pydicom.dcmread(films[uid], stop_before_pixels=True).SOPInstanceUID
        assert 0.0 <= float(row["probability"]) <= 1.0


def test_a_class_the_node_does_not_analyse_is_refused_and_pacs_send_names_the_refused_syntax(
    predictor, tmp_path, capsys
):
    from pydicom.data import get_testdata_file

    listener = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, dicom_results=False))
    listener.start()
    try:
        to = f"CARDIOVIEW@127.0.0.1:{listener.port}"
        assert main(["pacs", "send", get_testdata_file("CT_small.dcm"), "--to", to]) == 1
        err = capsys.readouterr().err
        assert "CT Image Storage" in err and "SOP class not supported" in err
        ds = pydicom.dcmread(downsized_copy(rg1_uncr(), tmp_path / "film.dcm", factor=8))
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: not a syntax a chest film comes in
        ds.PixelData = encapsulate([ds.PixelData])
        ds.save_as(tmp_path / "mpeg.dcm", enforce_file_format=True)
        assert main(["pacs", "send", str(tmp_path / "mpeg.dcm"), "--to", to]) == 1
        err = capsys.readouterr().err
        assert "1.2.840.10008.1.2.4.100" in err and "transfer syntax not supported" in err
    finally:
        listener.stop()
    assert not list((tmp_path / "out" / "received").glob("*.dcm"))


def test_orthanc_forwards_a_jpeg_lossless_film_without_transcoding(orthanc, predictor, scp_ports, tmp_path):
    orthanc.clear()
    film = films_in_every_syntax(tmp_path / "films")["1.2.840.10008.1.2.4.70"]
    instance = orthanc.upload(film)["ID"]
    listener = Listener(
        predictor,
        tmp_path / "out",
        ListenerOptions(ae_title=LISTENER_AET, port=scp_ports["listener"], dicom_results=False),
    )
    listener.start()
    try:
        orthanc.rest("/modalities/listener/store", instance.encode(), method="POST")
        assert listener.wait_idle(1, timeout=120)
    finally:
        listener.stop()
    [row] = rows(tmp_path / "out")
    assert row["status"] == "ok", row["error"]
    received = pydicom.dcmread(row["path"], stop_before_pixels=True)
    assert received.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.70"

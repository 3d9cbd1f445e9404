"""Query/retrieve and send against a real Orthanc: DIMSE (pynetdicom) and DICOMweb (dicomweb-client)."""

from __future__ import annotations

import threading

import numpy as np
import pydicom
import pytest

from cardioview.imaging import load
from cardioview.network import dicomweb, dimse
from cardioview.network.cache import StudyCache
from cardioview.network.dimse import PacsError, StudyQuery
from cardioview.network.nodes import Node, NodeSettings, load_nodes, save_nodes
from cardioview.results.dicom_objects import build_results
from tests.network.orthanc import ORTHANC_AET, OUR_AET, free_port


@pytest.fixture()
def pacs(orthanc, chest_films):
    """Orthanc holding the two chest films (one study) and nothing else."""
    orthanc.clear()
    for film in chest_films:
        orthanc.upload(film)
    return Node(
        name="orthanc",
        ae_title=ORTHANC_AET,
        host="127.0.0.1",
        port=orthanc.dicom_port,
        dicomweb_url=orthanc.dicomweb_url,
    )


def test_echo_and_find_at_study_and_series_level(pacs, chest_films):
    source = pydicom.dcmread(chest_films[0], stop_before_pixels=True)
    dimse.echo(pacs)
    studies = dimse.find(pacs, StudyQuery(patient_id=source.PatientID))
    assert [s.StudyInstanceUID for s in studies] == [source.StudyInstanceUID]
    assert dimse.find(pacs, StudyQuery(patient_id="NO-SUCH-PATIENT")) == []
    assert dimse.find(pacs, StudyQuery(modalities=("MR",))) == []
    series = dimse.find(pacs, StudyQuery(), level="SERIES", study_uid=source.StudyInstanceUID)
    assert {s.SeriesInstanceUID for s in series} == {
        pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID for f in chest_films
    }
    assert {s.Modality for s in series} == {"CR"}


def test_c_get_and_c_move_retrieve_the_study_into_the_cache(pacs, chest_films, scp_ports, tmp_path):
    uids = {pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID for f in chest_films}
    study = pydicom.dcmread(chest_films[0], stop_before_pixels=True).StudyInstanceUID
    seen = []
    got = dimse.get(pacs, study, StudyCache(tmp_path / "get"), progress=seen.append)
    assert {pydicom.dcmread(p).SOPInstanceUID for p in got} == uids and seen[-1] == len(uids)
    originals = {pydicom.dcmread(f).SOPInstanceUID: pydicom.dcmread(f).pixel_array for f in chest_films}
    for path in got:  # whole films, pixel for pixel
        ds = pydicom.dcmread(path)
        assert np.array_equal(ds.pixel_array, originals[ds.SOPInstanceUID])
    moved = dimse.move(pacs, study, StudyCache(tmp_path / "move"), local_ae=OUR_AET, local_port=scp_ports["move"])
    assert {pydicom.dcmread(p).SOPInstanceUID for p in moved} == uids
    # an AE title Orthanc does not know as a move destination is a clear error
    with pytest.raises(PacsError, match="C-MOVE failed"):
        dimse.move(pacs, study, StudyCache(tmp_path / "x"), local_ae="STRANGER", local_port=free_port())
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(dimse.Cancelled):
        dimse.get(pacs, study, StudyCache(tmp_path / "cancel"), cancel=cancel)


def test_c_store_of_sc_and_sr_lands_in_the_source_study(pacs, orthanc, predictor, chest_films):
    xray = load(chest_films[0])
    objects = build_results(xray, predictor.predict(xray))
    assert dimse.store(pacs, [objects.sc, objects.sr]) == 2
    stored = {orthanc.rest(f"/instances/{i}/simplified-tags")["SOPInstanceUID"] for i in orthanc.rest("/instances")}
    assert {objects.sc.SOPInstanceUID, objects.sr.SOPInstanceUID} <= stored
    study = pydicom.dcmread(chest_films[0], stop_before_pixels=True).StudyInstanceUID
    series = dimse.find(pacs, StudyQuery(modalities=()), level="SERIES", study_uid=study)
    assert sorted(s.Modality for s in series) == ["CR", "CR", "OT", "SR"]


def test_dicomweb_search_retrieve_and_stow(pacs, orthanc, predictor, chest_films, tmp_path):
    if not orthanc.has_dicomweb:
        pytest.skip("the Orthanc DICOMweb plugin is not installed (Debian: orthanc-dicomweb)")
    source = pydicom.dcmread(chest_films[0], stop_before_pixels=True)
    studies = dicomweb.search(pacs, StudyQuery(patient_id=source.PatientID))
    assert [s.StudyInstanceUID for s in studies] == [source.StudyInstanceUID]
    series = dicomweb.search(pacs, StudyQuery(), level="SERIES", study_uid=source.StudyInstanceUID)
    assert len(series) == 2
    files = dicomweb.retrieve(pacs, source.StudyInstanceUID, StudyCache(tmp_path))
    assert len(files) == 2 and {load(f).shape for f in files} == {load(f).shape for f in chest_films}
    xray = load(chest_films[0])
    objects = build_results(xray, predictor.predict(xray))
    assert dicomweb.stow(pacs, [objects.sc, objects.sr]) == 2
    assert len(dicomweb.search(pacs, StudyQuery(), level="SERIES", study_uid=source.StudyInstanceUID)) == 4
    with pytest.raises(PacsError, match="cannot connect"):
        dicomweb.search(Node(name="gone", dicomweb_url=f"http://127.0.0.1:{free_port()}/dicom-web"), StudyQuery())


def test_refused_association_unknown_port_and_timeout_are_clear_errors(pacs):
    wrong_called = Node(name="wrong", ae_title="NOT-ORTHANC", host="127.0.0.1", port=pacs.port)
    with pytest.raises(PacsError, match="association refused.*called AE"):
        dimse.echo(wrong_called)
    with pytest.raises(PacsError, match="nothing listens"):
        dimse.echo(Node(name="nobody", ae_title="X", host="127.0.0.1", port=free_port()))
    # a socket that accepts but never speaks DICOM: the association times out
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        with pytest.raises(PacsError, match="failed|no answer"):
            dimse.echo(Node(name="silent", ae_title="X", host="127.0.0.1", port=silent.getsockname()[1]), timeout=1.0)
    finally:
        silent.close()


def test_node_store_round_trips_and_rejects_bad_nodes(tmp_path):
    settings = NodeSettings(
        local_ae_title="CV1",
        nodes=[Node.parse("PACS@10.0.0.5:104", name="main"), Node.parse("http://pacs/dicom-web", name="web")],
    )
    path = save_nodes(settings, tmp_path / "nodes.json")
    again = load_nodes(path)
    assert again.local_ae_title == "CV1" and again.node("main").port == 104 and again.node("web").dicomweb_url
    from cardioview.network.nodes import NodeError

    for bad in ("PACS@host", "A" * 17 + "@h:1", "P@h:70000"):
        with pytest.raises(NodeError):
            Node.parse(bad)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(NodeError, match="broken.json"):
        load_nodes(tmp_path / "broken.json")

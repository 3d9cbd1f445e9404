"""Fetch priors from the PACS (issue 23) in the real window, against a real Orthanc started by the test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.uid import generate_uid
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from cardioview.network.nodes import Node, NodeSettings, save_nodes
from tests.comparison_films import NIH_PATIENT, nih_film, nih_patient_studies
from tests.dicom_factory import write_dicom
from tests.network.conftest import orthanc, scp_ports  # noqa: F401  (fixtures)
from tests.network.orthanc import ORTHANC_AET, OUR_AET


@pytest.mark.parametrize("retrieve", ["get", "move"])
def test_fetch_priors_from_pacs_then_compare(
    qtbot,
    window,
    orthanc,
    scp_ports,
    tmp_path,
    monkeypatch,  # noqa: F811
    retrieve,
):
    monkeypatch.setenv("CARDIOVIEW_CACHE_DIR", str(tmp_path / "cache"))
    nih = nih_patient_studies(tmp_path / "films", size=256)
    # the same patient's CT (not a chest film) and a later CR: neither is a prior to fetch
    ct = write_dicom(
        tmp_path / "ct.dcm",
        nih_film("00004342_002.png")[::4, ::4].copy(),
        modality="CT",
        extra={"PatientID": NIH_PATIENT, "StudyDate": "20180101", "StudyInstanceUID": generate_uid()},
    )
    later = write_dicom(
        tmp_path / "later.dcm",
        nih_film("00004342_023.png")[::4, ::4].copy(),
        view="PA",
        extra={"PatientID": NIH_PATIENT, "StudyDate": "20230101", "StudyInstanceUID": generate_uid()},
    )
    other = write_dicom(
        tmp_path / "other.dcm",
        nih_film("00004342_020.png")[::4, ::4].copy(),
        extra={"PatientID": "SOMEONE-ELSE", "StudyDate": "20190101", "StudyInstanceUID": generate_uid()},
    )
    orthanc.clear()
    for path in (*nih, ct, later, other):
        orthanc.upload(path)
    save_nodes(
        NodeSettings(
            local_ae_title=OUR_AET,
            local_port=scp_ports["move"],
            nodes=[Node("Orthanc", ORTHANC_AET, "127.0.0.1", orthanc.dicom_port, retrieve=retrieve)],
        )
    )

    window.open_files([nih[2]])  # only the 2021 film is open: no prior yet
    qtbot.waitUntil(lambda: window.state.prediction() is not None, timeout=30000)
    comparison = window.actions_.comparison
    assert comparison.compare_with_prior() is None
    assert "Shift+C fetches earlier studies from the PACS" in window.notifier.messages[0]

    with qtbot.waitSignal(comparison.fetcher.fetched, timeout=60000) as fetched:
        QTest.keyClick(window.browser.tree, Qt.Key.Key_C, Qt.KeyboardModifier.ShiftModifier)
        assert comparison.fetcher.job is not None  # searching and retrieving run in a worker thread
    assert fetched.args == [2]  # the 2019 AP and 2020 PA films; not the CT, the later film or another patient
    keys = [key for key, _path in window.browser.image_items()]
    assert len(keys) == 3
    cached = [Path(k) for k in keys if k != str(nih[2])]
    assert all(str(tmp_path / "cache") in str(p) for p in cached)
    # analysed in the worker thread, without being opened
    qtbot.waitUntil(lambda: all(window.state.predictions.get(k) is not None for k in keys), timeout=60000)

    compare = comparison.compare_with_prior()
    assert compare is not None and compare.prior.study_date == "20200412"
    assert compare.prior.key in keys and compare.prior.key != window.state.current_key
    log = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*") if p.is_file())
    assert log.count('"retrieve"') >= 2 and "Nih" not in log and NIH_PATIENT not in log

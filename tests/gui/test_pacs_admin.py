"""What a PACS administrator needs (issue 18, item 5), in the real window against a real Orthanc:
the audit log records DICOM export, send and retrieval; Echo; a failed search clears old results;
the window names a retrieved study, not its cache folder's hash."""

from __future__ import annotations

import json

import pydicom

from tests.network.conftest import chest_films, orthanc, scp_ports  # noqa: F401  (fixtures)
from tests.network.orthanc import ORTHANC_AET, free_port


def _audit(window) -> list[dict]:
    return [json.loads(line) for line in window.audit.path.read_text().splitlines()]


def _dialog_with_node(window, port: int, name: str = "Orthanc"):
    dialog = window.actions_.pacs.show_dialog()
    dialog.edit_name.setText(name)
    dialog.edit_ae.setText(ORTHANC_AET)
    dialog.edit_host.setText("127.0.0.1")
    dialog.edit_port.setValue(port)
    dialog.save_node()
    return dialog


def _wait_idle(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: dialog.job is None, timeout=60000)


def test_echo_failed_search_and_the_audit_of_retrieve_export_and_send(
    qtbot,
    window,
    orthanc,
    chest_films,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv("CARDIOVIEW_CACHE_DIR", str(tmp_path / "cache"))
    orthanc.clear()
    for film in chest_films:
        orthanc.upload(film)
    source = pydicom.dcmread(chest_films[0], stop_before_pixels=True)
    patient_name = str(source.PatientName)
    assert patient_name  # the test would prove nothing without a name to leak

    dialog = _dialog_with_node(window, orthanc.dicom_port)
    dialog.echo_button.click()
    _wait_idle(qtbot, dialog)
    assert dialog.status.text() == f"C-ECHO to {ORTHANC_AET}@127.0.0.1:{orthanc.dicom_port} succeeded"

    dialog.patient_id.setText(str(source.PatientID))
    dialog.search_button.click()
    _wait_idle(qtbot, dialog)
    assert dialog.table.rowCount() == 1

    # a node nobody listens on: Echo says so, a search fails and leaves no stale rows behind
    dead = _dialog_with_node(window, free_port(), name="Nobody")
    dead.echo_button.click()
    _wait_idle(qtbot, dead)
    assert dead.status.text().startswith("Echo failed:")
    dead.search_button.click()
    _wait_idle(qtbot, dead)
    assert dead.status.text().startswith("Search failed:")
    assert dead.table.rowCount() == 0 and dead.studies == []
    dead.retrieve_button.click()
    assert dead.status.text() == "Search, then choose a study"  # nothing left to retrieve by mistake

    dialog.node_box.setCurrentText("Orthanc")
    dialog.search_button.click()
    _wait_idle(qtbot, dialog)
    with qtbot.waitSignal(window.folder_opened, timeout=60000):
        dialog.retrieve_button.click()
    title, header = window.windowTitle(), window.browser.title.text()
    cache_folder = next((tmp_path / "cache").iterdir()).name
    assert cache_folder not in title and cache_folder not in header
    assert patient_name.replace("^", " ").split()[0] not in title
    study_date = str(source.StudyDate)
    assert f"{study_date[:4]}-{study_date[4:6]}-{study_date[6:8]}" in title and "CR" in title
    assert header.endswith("· 2 image(s)") and title.split(" — ", 1)[1] in header
    qtbot.waitUntil(lambda: window.state.prediction() is not None, timeout=60000)

    job = window.actions_.pacs.export_dicom(tmp_path / "dicom")
    with qtbot.waitSignal(job.signals.done, timeout=60000):
        pass
    exported = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in (tmp_path / "dicom").glob("*.dcm")
    }
    job = window.actions_.pacs.send_current(dialog.current_node())
    with qtbot.waitSignal(job.signals.done, timeout=60000):
        pass
    job = window.actions_.pacs.send_current(dead.settings.nodes[-1])  # to the node that is down
    with qtbot.waitSignal(job.signals.failed, timeout=60000):
        pass
    qtbot.wait(50)

    entries = _audit(window)
    text = window.audit.path.read_text()
    assert patient_name not in text and patient_name.split("^")[0] not in text  # never a name
    assert all(e["time"] for e in entries)
    retrieve = [e for e in entries if e["action"] == "retrieve"]
    assert len(retrieve) == 1 and retrieve[0]["outcome"] == "success"
    assert retrieve[0]["study_instance_uid"] == str(source.StudyInstanceUID)
    assert str(source.SOPInstanceUID) in retrieve[0]["sop_instance_uids"]
    assert retrieve[0]["peer"] == f"{ORTHANC_AET}@127.0.0.1:{orthanc.dicom_port}"
    export = [e for e in entries if e["action"] == "export_dicom"]
    assert len(export) == 1 and export[0]["outcome"] == "success"
    assert set(export[0]["sop_instance_uids"]) == exported
    assert export[0]["study_instance_uid"] == str(source.StudyInstanceUID)
    assert export[0]["sop_instance_uid"] == window.state.current_xray.metadata.sop_instance_uid  # the source
    sent = [e for e in entries if e["action"] == "send"]
    assert [e["outcome"] for e in sent] == ["success", "failure"]
    assert sent[0]["peer"] == f"{ORTHANC_AET}@127.0.0.1:{orthanc.dicom_port}"
    stored = {i["MainDicomTags"]["SOPInstanceUID"] for i in orthanc.rest("/instances?expand")}
    assert set(sent[0]["sop_instance_uids"]) <= stored  # the UIDs the log names are the ones the PACS holds
    assert sent[1]["peer"].startswith(f"{ORTHANC_AET}@127.0.0.1:") and sent[1]["peer"] != sent[0]["peer"]

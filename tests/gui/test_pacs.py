"""Open from PACS, Export as DICOM and Send to PACS in the real window, against a real Orthanc."""

from __future__ import annotations

import pydicom

from tests.network.conftest import chest_films, orthanc, scp_ports  # noqa: F401  (fixtures)
from tests.network.orthanc import ORTHANC_AET
from tests.network.test_dicom_results import dciodvfy_errors


def test_open_from_pacs_then_export_and_send_results(
    qtbot,
    window,
    orthanc,
    chest_films,
    tmp_path,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setenv("CARDIOVIEW_CACHE_DIR", str(tmp_path / "cache"))
    orthanc.clear()
    for film in chest_films:
        orthanc.upload(film)
    dialog = window.actions_.pacs.show_dialog()
    dialog.edit_name.setText("Orthanc")
    dialog.edit_ae.setText(ORTHANC_AET)
    dialog.edit_host.setText("127.0.0.1")
    dialog.edit_port.setValue(orthanc.dicom_port)
    dialog.save_node()
    assert dialog.current_node().port == orthanc.dicom_port
    dialog.patient_id.setText("9RG1")
    dialog.search_button.click()
    assert not dialog.search_button.isEnabled()  # the search runs in a worker, the dialog stays responsive
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == "9RG1"
    dialog.grab().save(str(tmp_path / "pacs_dialog.png"))
    with qtbot.waitSignal(window.folder_opened, timeout=60000):
        dialog.retrieve_button.click()
    assert len(window.browser.image_items()) == 2
    qtbot.waitUntil(lambda: window.state.prediction() is not None, timeout=60000)

    job = window.actions_.pacs.export_dicom(tmp_path / "dicom")
    with qtbot.waitSignal(job.signals.done, timeout=60000):
        pass
    written = sorted((tmp_path / "dicom").glob("*.dcm"))
    assert [p.name.rsplit("_", 1)[1] for p in written] == ["sc.dcm", "sr.dcm"]
    for path in written:
        assert dciodvfy_errors(path) == []
    assert pydicom.dcmread(written[0]).StudyInstanceUID == pydicom.dcmread(chest_films[0]).StudyInstanceUID

    job = window.actions_.pacs.send_current(dialog.current_node())
    with qtbot.waitSignal(job.signals.done, timeout=60000):
        pass
    assert len(orthanc.rest("/instances")) == 4

"""Report export from the viewer: the PNG, its overlay, CTR, de-identification, no overwriting."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF

from cardioview.model.bundle import sha256_file
from cardioview.render.report import read_report_metadata, render_report
from tests.gui.conftest import dicom_file, nih_png, open_folder_and_wait


def _open(qtbot, window, path):
    window.open_files([path])
    qtbot.waitUntil(lambda: window.state.prediction() is not None, timeout=30000)


def _coloured_fraction(rgb: np.ndarray) -> float:
    rgb = rgb.astype(np.int16)
    return float(((rgb.max(axis=2) - rgb.min(axis=2)) > 24).mean())


def test_export_current_writes_the_report_with_overlay_and_ctr(qtbot, window, tmp_path, predictor):
    _open(qtbot, window, nih_png())
    window.panel.opacity_slider.setValue(50)
    window.panel.measure_button.click()
    roi = window.canvas.calipers._rois["heart"]  # move the cardiac line: only then is it a measurement
    handle = roi.getHandles()[1]
    roi.movePoint(handle, roi.mapToParent(handle.pos()) + QPointF(40, 0), finish=False, coords="parent")
    assert window.state.measurement().placed
    calls = predictor.count
    target = tmp_path / "out" / "report.png"
    target.parent.mkdir()

    with qtbot.waitSignal(window.exports_done, timeout=30000) as done:
        assert window.export_current(target)
    assert done.args == [1, 0]
    assert target.is_file()
    assert predictor.count == calls  # exporting re-renders, it does not re-analyse

    meta = read_report_metadata(target)
    assert meta["display"]["opacity"] == 0.5
    assert abs(meta["prediction"]["probability"] - window.state.prediction().probability) < 1e-6
    assert abs(meta["ctr"]["ratio"] - window.state.measurement().ratio) < 1e-3

    exported = np.asarray(Image.open(target).convert("RGB"))
    plain = render_report(
        window.state.current_xray, window.state.prediction(), opacity=0.0, ctr=window.state.measurement().to_ctr()
    )
    # The overlay panel carries the colour map: far more coloured pixels than the same report without it.
    assert _coloured_fraction(exported) > _coloured_fraction(plain) + 0.05

    entries = [json.loads(line) for line in window.audit.path.read_text().splitlines()]
    assert entries[-1]["action"] == "export" and entries[-1]["export_sha256"] == sha256_file(target)
    assert len(entries[-1]["file_sha256"]) == 64 and entries[-1]["probability"] == entries[0]["probability"]


def test_export_never_overwrites_an_existing_file(qtbot, window, tmp_path):
    _open(qtbot, window, nih_png())
    target = tmp_path / "report.png"
    target.write_bytes(b"the user's own file")
    with qtbot.waitSignal(window.exports_done, timeout=30000) as done:
        window.export_current(target)
    assert done.args == [0, 1]
    assert target.read_bytes() == b"the user's own file"
    assert any("report.png" in m for m in window.notifier.messages)


def test_export_all_deidentified_writes_one_report_per_analysed_image(qtbot, window, study_folder, tmp_path):
    open_folder_and_wait(qtbot, window, study_folder)
    with qtbot.waitSignal(window.batch_done, timeout=60000):
        window.analyse_all()
    window.actions_.deidentify.setChecked(True)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "cardioview_report_001.png").write_bytes(b"older report")  # must survive

    with qtbot.waitSignal(window.exports_done, timeout=60000) as done:
        assert window.export_all(out) == 3  # the truncated DICOM has no result
    assert done.args == [3, 0]
    written = sorted(p.name for p in out.iterdir())
    assert (out / "cardioview_report_001.png").read_bytes() == b"older report"
    assert len(written) == 4 and not any("chest" in n or "CompressedSamples" in n for n in written)
    dicom_report = next(p for p in window.written_reports if read_report_metadata(p)["image"]["shape"] == [1955, 1841])
    meta = read_report_metadata(dicom_report)
    assert meta["deidentified"] is True
    assert "CompressedSamples" not in json.dumps(meta)
    assert dicom_file("RG1_UNCR.dcm").is_file()
    # Each report's index (in its name and its metadata) maps back to its image in the audit log, never by name.
    exports = [json.loads(line) for line in window.audit.path.read_text().splitlines()]
    exports = {e["export_index"]: e for e in exports if e.get("action") == "export"}
    assert sorted(exports) == [1, 2, 3]
    for report in window.written_reports:
        index = read_report_metadata(report)["export_index"]
        assert f"_{index:03d}" in report.name
        entry = exports[index]
        assert entry.get("sop_instance_uid") or entry.get("file_sha256"), entry
        assert not any(name in json.dumps(entry) for name in ("chest_cr", "hand_cr", "nih_chest", str(out)))
    assert meta["lines"] and any(
        line.startswith("Not applicable")
        for line in read_report_metadata(
            next(p for p in window.written_reports if read_report_metadata(p)["image"]["shape"] == [1760, 1760])
        )["lines"]
    )


def test_export_dialog_opens_in_the_last_export_folder_shows_deidentify_and_asks_before_name_1(
    qtbot, window, tmp_path, monkeypatch, study_folder
):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from tests.gui.conftest import show_and_wait

    open_folder_and_wait(qtbot, window, study_folder)
    show_and_wait(qtbot, window, study_folder / "chest_cr.dcm")
    out = tmp_path / "exports"
    out.mkdir()
    (out / "taken.png").write_bytes(b"kept")
    seen, answers = [], [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    picks = [str(out / "taken.png"), str(out / "taken.png"), ""]  # the last one: the user cancels
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda parent, title, start, *a, **k: (seen.append((title, start)), (picks.pop(0), ""))[1],
    )
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    window.actions_.deidentify.setChecked(False)
    window.actions_.choose_export()  # "No": nothing written
    assert window.written_reports == [] and sorted(p.name for p in out.iterdir()) == ["taken.png"]
    title, start = seen[0]
    assert "WITH patient details" in title
    assert not start.startswith(str(study_folder))  # never the study folder
    window.actions_.deidentify.setChecked(True)
    with qtbot.waitSignal(window.exports_done, timeout=30000):
        window.actions_.choose_export()  # "Yes": saved as taken_1.png
    assert (out / "taken_1.png").is_file() and (out / "taken.png").read_bytes() == b"kept"
    assert "de-identified" in seen[1][0]
    window.actions_.choose_export()
    assert seen[2][1].startswith(str(out))  # the next dialog opens in the last export folder


def test_a_chosen_existing_name_gives_the_next_free_one(tmp_path):
    from cardioview.gui.export import free_target

    (tmp_path / "chest.png").write_bytes(b"x")
    (tmp_path / "chest_1.png").write_bytes(b"y")
    assert free_target(tmp_path / "new") == tmp_path / "new.png"
    assert free_target(tmp_path / "chest.png") == tmp_path / "chest_2.png"

"""What a radiologist expects of any viewer (issue 18), with real key events into the real window:
F1 shortcut sheet, F11 full screen, printing the report, window presets on Ctrl+1..9, frames of
real multi-frame DICOMs on , and ., and file names not cut short when the browser has room."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from tests.gui.conftest import dicom_file, nih_png, open_folder_and_wait, show_and_wait


def test_f1_opens_a_sheet_of_every_shortcut_read_from_the_actions(qtbot, window, tmp_path):
    path = tmp_path / "chest_cr.dcm"
    shutil.copy(dicom_file("RG1_UNCR.dcm"), path)
    window.open_files([path])
    show_and_wait(qtbot, window, path)  # the image's window presets have their keys now
    qtbot.keyClick(window, Qt.Key.Key_F1)
    sheet = window.actions_.reading.sheet
    qtbot.waitUntil(lambda: sheet is not None and sheet.isVisible())
    table = sheet.table
    listed = {(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())}
    native = QKeySequence.SequenceFormat.NativeText
    expected = {
        (s.toString(native), a.statusTip() or a.text().replace("&", "").rstrip("…"))
        for a in window.findChildren(QAction)
        for s in a.shortcuts()
        if not s.isEmpty()
    }
    assert expected <= listed  # every action's keys, generated from the actions themselves
    keys = {k for k, _ in listed}
    assert {"F1", "F11", "Ctrl+P", "H", "M", "O", "Ctrl+1", "Ctrl+2", ".", ","} <= keys
    assert ("Right drag", "Window/level: right widens, up brightens") in listed
    assert ("Ctrl+2", f"Window/level preset: {window.canvas.presets[1].name}") in listed
    assert sheet.height() <= window.screen().availableGeometry().height()


def test_f11_toggles_full_screen(qtbot, window):
    assert not window.isFullScreen()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    assert window.actions_.reading.full_screen.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())


def test_ctrl_p_prints_the_report_as_exported(qtbot, window, tmp_path):
    from PySide6.QtPrintSupport import QPrinter

    from cardioview.gui.reading_actions import print_report

    assert not window.actions_.reading.print.isEnabled()  # nothing to print yet
    path = nih_png()
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    action = window.actions_.reading.print
    assert action.isEnabled() and action.shortcut() == QKeySequence(QKeySequence.StandardKey.Print)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "report.pdf"))
    assert print_report(window, printer)
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"/Image" in pdf and len(pdf) > 50_000  # the report picture is on the page
    records = [json.loads(line) for line in window.audit.path.read_text().splitlines()]
    [printed] = [r for r in records if r["action"] == "print"]
    assert printed["outcome"] == "success" and printed["output"] == "pdf"
    assert "report.pdf" not in window.audit.path.read_text()  # the output's name is never logged


def test_ctrl_digits_pick_the_window_presets(qtbot, window, tmp_path):
    path = tmp_path / "chest_cr.dcm"
    shutil.copy(dicom_file("RG1_UNCR.dcm"), path)
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    presets = window.canvas.presets
    assert len(presets) >= 3
    for index in (2, 1, 0):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{index + 1}"), Qt.KeyboardModifier.ControlModifier)
        assert window.canvas.grey_window == presets[index]


@pytest.mark.parametrize("name, frames", [("emri_small.dcm", 10), ("SC_rgb_2frame.dcm", 2)])
def test_period_and_comma_step_through_the_frames(qtbot, window, tmp_path, predictor, name, frames):
    import pydicom

    path = tmp_path / name
    shutil.copy(dicom_file(name), path)
    window.open_files([path])
    key = show_and_wait(qtbot, window, path)
    canvas = window.canvas
    assert f"Frame 1 / {frames}" in canvas.bottom_right.text()
    assert not window.actions_.reading.previous_frame.isEnabled()
    first = window.state.current_xray.pixels.copy()
    window.canvas.view.setFocus()
    qtbot.keyClick(window.canvas.view, Qt.Key.Key_Period)
    qtbot.waitUntil(
        lambda: (
            window.state.current_xray is not None
            and window.state.current_xray.frame == 1
            and window.state.prediction() is not None
        ),
        timeout=30000,
    )
    assert window.state.current_key == f"{key}#frame=2"
    assert f"Frame 2 / {frames}" in canvas.bottom_right.text()
    assert not np.array_equal(window.state.current_xray.pixels, first)
    expected = pydicom.dcmread(path).pixel_array[1]
    if expected.ndim == 2:
        np.testing.assert_array_equal(window.state.current_xray.modality_pixels, expected.astype(np.float32))
    for _ in range(frames + 2):  # past the last frame: it stays on the last
        qtbot.keyClick(window.canvas.view, Qt.Key.Key_Period)
        qtbot.waitUntil(lambda: window.state.current_xray is not None, timeout=30000)
    assert window.state.current_xray.frame == frames - 1
    assert not window.actions_.reading.next_frame.isEnabled()
    qtbot.waitUntil(lambda: window.state.prediction() is not None, timeout=30000)
    for _ in range(frames - 1):
        qtbot.keyClick(window.canvas.view, Qt.Key.Key_Comma)
        qtbot.waitUntil(lambda: window.state.current_xray is not None, timeout=30000)
    qtbot.waitUntil(lambda: window.state.prediction() is not None, timeout=30000)
    assert window.state.current_key == key and window.state.current_xray.frame == 0
    assert predictor.count >= 2  # each frame gets its own analysis


def test_file_names_are_whole_when_the_window_has_room(qtbot, window, tmp_path):
    folder = tmp_path / "films"
    folder.mkdir()
    for name in ("00000001_000.png", "00000003_001.png", "00000001_002.png"):
        shutil.copy(nih_png(name), folder / name)
    window.resize(1366, 768)
    assert open_folder_and_wait(qtbot, window, folder) == 3
    browser, tree = window.browser, window.browser.tree
    qtbot.waitUntil(lambda: len(browser.model.thumbnails) == 3, timeout=30000)  # real thumbnails drawn
    qtbot.wait(50)
    for item in browser.model.items.values():
        index = browser.proxy.mapFromSource(item.index())
        assert tree.visualRect(index).width() >= tree.sizeHintForIndex(index).width(), item.text()  # not elided
    assert window.canvas.width() >= 500  # the X-ray keeps its room

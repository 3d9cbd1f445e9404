"""CTR calipers that cannot mislead (issue 18, item 4): labels never overlap, one CTR value in the
browser column, panel, report and SR, a way back to the automatic calipers, wording that agrees."""

from __future__ import annotations

import pydicom
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from cardioview.anatomy.cardiothoracic_ratio import Caliper
from cardioview.gui.state import CardiothoracicMeasurement
from cardioview.render.report import read_report_metadata
from tests.gui.conftest import nih_png, show_and_wait
from tests.gui.test_anatomy_view import anatomy_window  # noqa: F401  (fixture: the shipped segmenter)
from tests.network.test_dicom_results import dciodvfy_errors


def _scene_y(window, caliper: Caliper) -> float:
    return window.canvas.viewbox.mapViewToScene(QPointF(caliper.x0, caliper.y)).y()


@pytest.mark.parametrize("zoom", [1.0, 0.25])
def test_caliper_labels_never_overlap_each_other_or_the_other_line(qtbot, window, zoom):
    path = nih_png()
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    h, w = window.state.current_xray.shape
    window.canvas.viewbox.scaleBy((zoom, zoom))
    calipers = window.canvas.calipers
    for gap in (3, -3, 0, 12, -12):  # image pixels: the lines almost on top of each other, both orders
        heart = Caliper(0.36 * w, 0.66 * w, 0.55 * h + gap)
        thorax = Caliper(0.12 * w, 0.88 * w, 0.55 * h)
        window.state.set_measurement(CardiothoracicMeasurement(heart=heart, thorax=thorax))
        QApplication.processEvents()
        rects = calipers.label_rects()
        assert set(rects) == {"heart", "thorax"}
        assert not rects["heart"].intersects(rects["thorax"]), (gap, rects)
        for name, other in (("heart", thorax), ("thorax", heart)):
            assert not rects[name].top() < _scene_y(window, other) < rects[name].bottom(), (gap, name)


def _sr_ctr(path) -> dict:
    """The SR's CTR measurements: {concept meaning: (value, method meaning)}."""
    found = {}

    def walk(items):
        for item in items:
            name = item.ConceptNameCodeSequence[0] if "ConceptNameCodeSequence" in item else None
            if name is not None and name.CodingSchemeDesignator == "99CARDIOVIEW" and "MeasuredValueSequence" in item:
                method = [
                    c.ConceptCodeSequence[0].CodeMeaning
                    for c in item.get("ContentSequence", [])
                    if c.ConceptNameCodeSequence[0].CodeMeaning == "Measurement Method"
                ]
                found[name.CodeMeaning] = (
                    float(item.MeasuredValueSequence[0].NumericValue),
                    method[0] if method else "",
                )
            walk(item.get("ContentSequence", []))

    walk(pydicom.dcmread(path).ContentSequence)
    return found


def test_one_ctr_everywhere_after_adjusting_and_a_way_back_to_the_automatic_calipers(qtbot, anatomy_window, tmp_path):
    win = anatomy_window
    win.open_files([nih_png("00000001_000.png")])
    qtbot.waitUntil(lambda: win.state.prediction() is not None, timeout=60000)
    qtbot.wait(50)
    view, key = win.anatomy_view, win.state.current_key
    automatic = win.state.prediction().anatomy.ctr
    auto_calipers = win.state.measurement()
    assert view.ctr_text(key) == f"{automatic:.2f}"

    # the reader widens the cardiac line
    roi = win.canvas.calipers._rois["heart"]
    handle = roi.getHandles()[1]
    roi.movePoint(handle, roi.mapToParent(handle.pos()) + QPointF(60, 0), finish=False, coords="parent")
    adjusted = win.state.measurement().ratio
    assert f"{adjusted:.2f}" != f"{automatic:.2f}"
    statement = (
        f"CTR {adjusted:.2f} (calipers adjusted by the reader; automatic {automatic:.2f} "
        "from heart and lung segmentation)"
    )
    assert view.label.text().startswith(statement)  # panel
    assert view.ctr_text(key) == f"{adjusted:.2f}"  # the browser's column: the same value
    target = tmp_path / "report.png"
    with qtbot.waitSignal(win.exports_done, timeout=60000):
        assert win.export_current(target)
    texts = read_report_metadata(target)["lines"]
    assert any(t.startswith(statement) for t in texts), texts  # report
    assert not any("(adjusted) from" in t for t in texts)
    job = win.actions_.pacs.export_dicom(tmp_path / "dicom")
    with qtbot.waitSignal(job.signals.done, timeout=60000):
        pass
    sr_path = next((tmp_path / "dicom").glob("*_sr.dcm"))
    assert dciodvfy_errors(sr_path) == []  # the measurement method and the second CTR are valid TID 300
    sr = _sr_ctr(sr_path)
    assert sr["Cardiothoracic ratio"] == (pytest.approx(adjusted, abs=1e-4), "Calipers adjusted by the reader")
    assert sr["Automatic cardiothoracic ratio"] == (
        pytest.approx(automatic, abs=1e-4),
        "Automatic, from heart and lung segmentation",
    )

    # M removes the calipers: the text says so, and Shift+M (menu: Restore automatic calipers) brings them back
    win.canvas.view.setFocus()
    qtbot.keyClick(win, Qt.Key.Key_M)
    assert win.state.measurement() is None
    assert "calipers removed; Shift+M puts them back" in view.label.text()
    assert view.ctr_text(key) == f"{automatic:.2f}"
    assert win.actions_.restore_calipers.shortcut().toString() == "Shift+M"
    assert win.actions_.restore_calipers in win.menuBar().actions()[2].menu().actions()  # listed under Analysis
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert win.state.measurement() == auto_calipers
    assert view.label.text().startswith(f"CTR {automatic:.2f} (automatic, from heart and lung segmentation)")
    assert view.ctr_text(key) == f"{automatic:.2f}"

    # M, M: the reader's own starting lines are on screen: no "calipers removed" beside them
    qtbot.keyClick(win, Qt.Key.Key_M)
    qtbot.keyClick(win, Qt.Key.Key_M)
    assert win.state.measurement() is not None and not win.state.measurement().placed
    assert win.canvas.calipers._rois["heart"].isVisible()
    assert "removed" not in view.label.text() and "Drag the heart and thorax lines" in view.label.text()


def test_calipers_moved_down_keeping_the_ratio_are_adjusted_everywhere(qtbot, anatomy_window, tmp_path):
    """One rule (anatomy.ctr_source): the calipers decide, not the ratio. Both lines dragged 25 rows down keep
    the segmenter's ratio exactly, yet the reader placed them: panel, report, SR and results.csv row say so."""
    from cardioview.results.film_result import judged
    from cardioview.results.results_csv import Row

    win = anatomy_window
    win.open_files([nih_png("00000001_000.png")])
    qtbot.waitUntil(lambda: win.state.prediction() is not None, timeout=60000)
    qtbot.wait(50)
    view, prediction = win.anatomy_view, win.state.prediction()
    automatic = prediction.anatomy.ctr
    before = win.state.measurement()
    assert view.label.text().startswith(f"CTR {automatic:.2f} (automatic, from heart and lung segmentation)")

    for name in ("heart", "thorax"):  # the reader drags each whole line down, as with the mouse
        win.canvas.calipers._rois[name].translate(QPointF(0, 25), finish=False)
    moved = win.state.measurement()
    assert moved.heart.y == pytest.approx(before.heart.y + 25) and moved.thorax.y == pytest.approx(before.thorax.y + 25)
    assert moved.ratio == pytest.approx(automatic, abs=1e-9)  # the same ratio...
    statement = (
        f"CTR {automatic:.2f} (calipers adjusted by the reader; automatic {automatic:.2f} "
        "from heart and lung segmentation)"
    )
    assert view.label.text().startswith(statement)  # ...but the panel says the reader placed them

    target = tmp_path / "report.png"
    with qtbot.waitSignal(win.exports_done, timeout=60000):
        assert win.export_current(target)
    texts = read_report_metadata(target)["lines"]
    assert any(t.startswith(statement) for t in texts), texts
    job = win.actions_.pacs.export_dicom(tmp_path / "dicom")
    with qtbot.waitSignal(job.signals.done, timeout=60000):
        pass
    sr = _sr_ctr(next((tmp_path / "dicom").glob("*_sr.dcm")))
    assert sr["Cardiothoracic ratio"] == (pytest.approx(automatic, abs=1e-4), "Calipers adjusted by the reader")
    assert "Automatic cardiothoracic ratio" in sr

    result = judged(prediction, win.state.current_xray)
    assert Row.of(result).ctr_source == "automatic"  # predict and the listener: the segmenter's calipers
    row = Row.of(result.with_reader_ctr(moved.to_ctr()))
    assert (row.ctr, row.ctr_source) == (f"{automatic:.4f}", "adjusted")

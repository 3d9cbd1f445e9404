"""Compare with prior, the trend view and priors from the PACS (issue 23), in the real window with real films.

Films: NIH patient 4342 (AP 2019, PA 2020, PA 2021) and pydicom-data's RG1 CR twice in one day, as dated
DICOM studies (tests/comparison_films.py); analysed by the real tiny model with the shipped heart/lung segmenter.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from cardioview.gui.study_tree import image_key
from tests.comparison_films import cr_patient_studies, nih_patient_studies
from tests.gui.conftest import (
    nih_png,
    open_folder_and_wait,
    show_and_wait,
    shown_window,
)


@pytest.fixture(scope="module")
def anatomy_predictor(tiny_bundle):
    from cardioview.inference.predictor import Predictor

    return Predictor(tiny_bundle, backend="onnx", device="cpu")  # with the shipped segmenter: CTR and outlines


@pytest.fixture
def awindow(qtbot, anatomy_predictor):
    yield from shown_window(qtbot, anatomy_predictor)


@pytest.fixture
def studies(tmp_path) -> tuple[Path, list[Path], list[Path]]:
    folder = tmp_path / "patients"
    nih = nih_patient_studies(folder / "nih", size=384)
    cr = cr_patient_studies(folder / "cr")
    shutil.copy(nih_png(), folder / "picture.png")
    return folder, nih, cr


def _fraction(pane):
    rect, (h, w) = pane.canvas.viewbox.viewRect(), pane.state.current_xray.shape
    return rect.left() / w, rect.top() / h, rect.width() / w, rect.height() / h


def test_compare_with_prior_side_by_side_linked(qtbot, awindow, studies):
    folder, nih, _cr = studies
    open_folder_and_wait(qtbot, awindow, folder)
    show_and_wait(qtbot, awindow, nih[1])  # the 2020 PA film
    QTest.keyClick(awindow.browser.tree, Qt.Key.Key_C)  # the key works from the film list
    compare = awindow.actions_.comparison.compare_window
    assert compare is not None and compare.isVisible()
    assert compare.prior.key == image_key(nih[0])  # the most recent earlier study, not the later one
    qtbot.waitUntil(
        lambda: (
            compare.prior_pane.state.current_xray is not None
            and awindow.state.prediction(compare.prior.key) is not None
        ),
        timeout=60000,
    )
    qtbot.waitUntil(lambda: "→" in compare.change_label.text() and "CTR" in compare.change_label.text(), timeout=10000)
    text = compare.change_label.text()
    assert "Change since 2019-03-10" in text and "views differ (AP prior, PA now)" in text
    current, prior = awindow.state.prediction(), awindow.state.prediction(compare.prior.key)
    assert f"P {prior.probability:.2f} → {current.probability:.2f}" in text
    ctr_change = current.anatomy.ctr - prior.anatomy.ctr
    assert f"({ctr_change:+.2f})" in text
    for pane in (compare.prior_pane, compare.current_pane):  # both results and outlines
        assert pane.outlines.isVisible() and pane.state.measurement() is not None
        assert pane.state.prediction() is not None and pane.canvas.heat_item.isVisible()
    assert "AP" in compare.prior_pane.caption.text() and "PA" in compare.current_pane.caption.text()

    # linked zoom and pan: the prior shows the same part of its film
    view = compare.current_pane.canvas.viewbox
    view.scaleBy((0.5, 0.5))
    view.sigRangeChangedManually.emit([True, True])
    assert _fraction(compare.prior_pane) == pytest.approx(_fraction(compare.current_pane), abs=0.02)
    # linked window/level: a drag on one moves the other; unlinked, it stays
    before = compare.prior_pane.canvas.grey_window
    compare.current_pane.canvas._window_drag(40.0, -30.0, True)
    assert compare.prior_pane.canvas.grey_window != before
    compare.link_window.setChecked(False)
    compare.link_view.setChecked(False)
    held_window, held_view = compare.prior_pane.canvas.grey_window, _fraction(compare.prior_pane)
    compare.current_pane.canvas._window_drag(40.0, -30.0, False)
    view.scaleBy((0.5, 0.5))
    view.sigRangeChangedManually.emit([True, True])
    assert compare.prior_pane.canvas.grey_window == held_window
    assert _fraction(compare.prior_pane) == pytest.approx(held_view, abs=1e-6)
    assert _fraction(compare.current_pane) != pytest.approx(held_view, abs=0.02)

    # any other study can be picked: the 2021 PA film (same view: no caution)
    compare.picker.setCurrentIndex(compare.picker.findData(image_key(nih[2])))
    qtbot.waitUntil(
        lambda: (
            compare.prior_pane.state.current_xray is not None
            and awindow.state.prediction(image_key(nih[2])) is not None
        ),
        timeout=60000,
    )
    qtbot.waitUntil(lambda: "2021-05-15" in compare.change_label.text(), timeout=10000)
    assert "views differ" not in compare.change_label.text()


def test_same_day_studies_ordered_by_time(qtbot, awindow, studies):
    folder, _nih, cr = studies
    open_folder_and_wait(qtbot, awindow, folder)
    show_and_wait(qtbot, awindow, cr[1])  # 16:30
    compare = awindow.actions_.comparison.compare_with_prior()
    assert compare.prior.key == image_key(cr[0])  # 08:00 the same day


def test_trend_view_plots_every_study_and_a_click_opens_it(qtbot, awindow, studies):
    folder, nih, cr = studies
    open_folder_and_wait(qtbot, awindow, folder)
    show_and_wait(qtbot, awindow, nih[2])
    QTest.keyClick(awindow.browser.tree, Qt.Key.Key_T)
    trend = awindow.actions_.comparison.trend_window
    assert trend is not None and trend.isVisible()
    assert "Analysing 2 film(s)" in trend.caution.text()
    # the reader moves on at once (newer requests make the worker skip older ones): the trend still completes
    show_and_wait(qtbot, awindow, cr[0])
    # the two films never opened are analysed for the trend
    qtbot.waitUntil(
        lambda: len(trend.p_curve.getData()[0]) == 3 and len(trend.ctr_curve.getData()[0]) == 3, timeout=90000
    )
    xs, ps = trend.p_curve.getData()
    assert list(xs) == sorted(xs) and len(set(xs)) == 3
    assert list(ps) == pytest.approx([awindow.state.prediction(image_key(p)).probability for p in nih])
    assert trend.threshold_line.value() == pytest.approx(awindow.state.threshold)
    assert trend.ctr_line.value() == 0.5
    assert sorted(label.textItem.toPlainText() for label in trend.labels) == ["AP", "AP", "PA", "PA", "PA", "PA"]
    assert "AP and PA films mixed" in trend.caution.text()
    qtbot.waitExposed(trend)
    # a real click on the 2019 point opens that film in the main window
    point = trend.ctr_curve.scatter.points()[0]
    scene = trend.plot.getViewBox().mapViewToScene(point.pos())
    target = trend.plot.mapFromScene(scene)
    QTest.mouseClick(trend.plot.viewport(), Qt.MouseButton.LeftButton, pos=target)
    qtbot.waitUntil(lambda: awindow.state.current_key == image_key(nih[0]), timeout=10000)


def test_picture_file_has_no_prior(qtbot, awindow, studies):
    folder, nih, _cr = studies
    open_folder_and_wait(qtbot, awindow, folder)
    show_and_wait(qtbot, awindow, folder / "picture.png")
    assert awindow.actions_.comparison.compare_with_prior() is None
    assert awindow.actions_.comparison.show_trend() is None
    assert "no patient or study date" in awindow.notifier.messages[0]
    show_and_wait(qtbot, awindow, nih[0])  # the oldest study: only later ones to pick, shown as such
    compare = awindow.actions_.comparison.compare_with_prior()
    assert compare.prior.key == image_key(nih[2])


def test_exported_report_and_sr_carry_the_prior(qtbot, awindow, studies, tmp_path):
    import pydicom

    from cardioview.render.report import read_report_metadata

    folder, nih, _cr = studies
    open_folder_and_wait(qtbot, awindow, folder)
    show_and_wait(qtbot, awindow, nih[0])  # the prior must be analysed: it is, once shown
    show_and_wait(qtbot, awindow, nih[1])
    with qtbot.waitSignal(awindow.exports_done, timeout=60000):
        assert awindow.export_current(tmp_path / "report.png")
    comparison = read_report_metadata(tmp_path / "report.png")["comparison"]
    assert comparison["prior_study_date"] == "2019-03-10" and comparison["prior_view"] == "AP"
    prior = awindow.state.prediction(image_key(nih[0]))
    assert comparison["prior_probability"] == pytest.approx(prior.probability)
    assert "views differ" in comparison["caution"]
    job = awindow.actions_.pacs.export_dicom(tmp_path / "dicom")
    with qtbot.waitSignal(job.signals.done, timeout=60000):
        pass
    sr = pydicom.dcmread(next((tmp_path / "dicom").glob("*_sr.dcm")))
    meanings = set()

    def walk(ds):
        for item in getattr(ds, "ContentSequence", []):
            if "ConceptNameCodeSequence" in item:
                meanings.add(item.ConceptNameCodeSequence[0].CodeMeaning)
            walk(item)

    walk(sr)
    assert {
        "Cardiothoracic ratio on the prior study",
        "Interval since the prior study",
        "Prior study of another view position (AP vs PA)",
    } <= meanings
    # the oldest film has no prior: its report has no comparison section
    show_and_wait(qtbot, awindow, nih[0])
    qtbot.waitUntil(lambda: awindow.state.current_xray is not None, timeout=30000)  # analysed before: loads again
    with qtbot.waitSignal(awindow.exports_done, timeout=60000):
        assert awindow.export_current(tmp_path / "first.png")
    assert read_report_metadata(tmp_path / "first.png")["comparison"] is None

"""Display controls redraw from stored results: opacity, heat map, threshold, window/level, calipers."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from cardioview.gui.panel_widgets import NEGATIVE_COLOUR, POSITIVE_COLOUR
from tests.gui.conftest import dicom_file, nih_png


def _mouse_drag(window, button, start: QPointF, step: QPointF, steps: int = 10) -> None:
    """Press, move and release on the canvas viewport, as a user's drag does."""
    viewport = window.canvas.view.viewport()

    def send(kind, pos, changed, held):
        event = QMouseEvent(kind, pos, viewport.mapToGlobal(pos), changed, held, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    send(QEvent.Type.MouseButtonPress, start, button, button)
    for k in range(1, steps + 1):
        send(QEvent.Type.MouseMove, start + step * k, Qt.MouseButton.NoButton, button)
        QApplication.processEvents()
    send(QEvent.Type.MouseButtonRelease, start + step * steps, button, Qt.MouseButton.NoButton)


def _open(qtbot, window, path):
    window.open_files([path])
    qtbot.waitUntil(lambda: window.state.prediction() is not None, timeout=30000)
    qtbot.wait(50)  # let the first paint land


def _image_region(window) -> np.ndarray:
    """The canvas pixels inside the drawn X-ray (corner texts excluded)."""
    rgb = window.canvas.grab_rgb().astype(np.int16)
    h, w = rgb.shape[:2]
    return rgb[h // 4 : 3 * h // 4, w // 3 : 2 * w // 3]


def test_opacity_changes_the_drawn_overlay_without_running_the_model(qtbot, window, predictor):
    _open(qtbot, window, nih_png())
    calls = predictor.count
    faint = _image_region(window)

    window.panel.opacity_slider.setValue(80)
    qtbot.wait(50)
    strong = _image_region(window)

    assert window.state.opacity == 0.8
    assert window.canvas.heat_item.opacity() == 0.8
    assert np.abs(strong - faint).mean() > 10  # the heat map now dominates the picture
    assert window.settings.opacity == 0.8  # remembered for the next session
    assert predictor.count == calls

    window.panel.colormap_combo.setCurrentText("viridis")
    qtbot.wait(50)
    assert np.abs(_image_region(window) - strong).mean() > 5
    assert predictor.count == calls


def test_h_key_toggles_the_heat_map(qtbot, window, predictor):
    _open(qtbot, window, nih_png())
    window.panel.opacity_slider.setValue(60)
    with_heat = _image_region(window)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert not window.state.heatmap_visible
    assert not window.canvas.heat_item.isVisible()
    assert not window.panel.heat_button.isChecked()
    qtbot.wait(50)
    without = _image_region(window)
    assert np.abs(with_heat - without).mean() > 10
    # Gray X-ray only: the three channels agree.
    assert np.abs(without[..., 0] - without[..., 2]).max() <= 2
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert window.canvas.heat_item.isVisible()
    assert predictor.count == 1


def test_threshold_flips_the_verdict_without_re_inference(qtbot, window, predictor):
    _open(qtbot, window, nih_png())
    p = window.state.prediction().probability
    calls = predictor.count

    key = window.state.current_key
    window.panel.threshold_spin.setValue(min(1.0, p + 0.01))
    assert window.panel.verdict_label.text().startswith("NEGATIVE")
    cell = window.browser._prob_cell(window.browser.model.items[key])
    assert cell.foreground().color().name() == NEGATIVE_COLOUR  # the triage column follows the threshold
    assert window.panel.threshold_slider.value() == round(window.state.threshold * 1000)
    window.panel.threshold_slider.setValue(int((p - 0.01) * 1000))
    assert window.panel.verdict_label.text().startswith("POSITIVE")
    assert cell.foreground().color().name() == POSITIVE_COLOUR
    assert abs(window.panel.threshold_spin.value() - window.state.threshold) < 1e-9
    assert predictor.count == calls
    assert "validation sensitivity 0.80" in window.panel.operating_label.text()
    assert "at the default" in window.panel.operating_label.text()


def test_right_drag_window_level_and_presets_act_on_the_xray_only(qtbot, window):
    _open(qtbot, window, dicom_file("RG1_UNCR.dcm"))
    canvas = window.canvas
    assert canvas.grey_window.levels == (0.0, 30000.0)  # the file's own Window Center/Width
    names = [p.name for p in canvas.presets]
    assert names[0] == "DICOM window 1" and "Full range" in names
    heat_opacity = canvas.heat_item.opacity()

    view_range = canvas.viewbox.viewRange()
    _mouse_drag(window, Qt.MouseButton.RightButton, QPointF(300, 300), QPointF(10, -5))  # right, up
    assert canvas.grey_window.width > 30000 and canvas.grey_window.center < 15000  # wider window, brighter image
    assert canvas.viewbox.viewRange() == view_range  # right-drag is window/level, not zoom
    assert window.canvas.viewbox.menu is None or not window.canvas.viewbox.menuEnabled()
    assert tuple(canvas.xray_item.levels) == canvas.grey_window.levels
    assert "W " in canvas.bottom_left.text()
    assert canvas.heat_item.opacity() == heat_opacity

    _mouse_drag(window, Qt.MouseButton.LeftButton, QPointF(300, 300), QPointF(10, 0))  # left-drag pans
    assert canvas.viewbox.viewRange()[0] != view_range[0]
    canvas.fit()
    before = _image_region(window)
    canvas.set_invert(True)
    qtbot.wait(50)
    assert np.abs(_image_region(window) - before).mean() > 20


def test_ctr_calipers_measure_and_flag(qtbot, window):
    _open(qtbot, window, nih_png())
    window.panel.measure_button.click()
    measurement = window.state.measurement()
    assert measurement is not None
    # Lines at default positions are not a measurement: no ratio until the user moves them.
    assert measurement.ratio is None and measurement.to_ctr() is None
    assert "CTR" not in window.panel.ctr_label.text() and "once they are moved" in window.panel.ctr_label.text()

    # Drag the cardiac line's right end outwards (as a user would, through the ROI handle).
    roi = window.canvas.calipers._rois["heart"]
    handle = roi.getHandles()[1]
    roi.movePoint(handle, roi.mapToParent(handle.pos()) + QPointF(300, 40), finish=False, coords="parent")
    measurement = window.state.measurement()
    assert measurement.ratio > 0.5
    assert "above 0.50" in window.panel.ctr_label.text()
    start, end = (roi.mapToParent(h.pos()) for h in roi.getHandles())
    assert abs(start.y() - end.y()) < 1e-6  # the line stayed horizontal, at the dragged end's height
    assert abs(end.y() - measurement.heart.y) < 1e-6 and abs(end.x() - measurement.heart.x1) < 1e-6

    window.panel.measure_button.click()
    assert window.state.measurement() is None


def test_panel_says_how_far_the_attention_map_was_validated(qtbot, window):
    from cardioview.gui.panel_widgets import CAUTION_COLOUR

    label = window.panel.attention_note_label
    # the test bundle records no attention figures: the panel says so, in the caution colour
    assert label.isVisible() and "no localisation figures" in label.text()
    assert CAUTION_COLOUR in label.styleSheet()
    assert window.model_info.attention_note == label.text()

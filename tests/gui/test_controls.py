"""Controls do what they say: real key events into the real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import nih_png, show_and_wait


def _type_into_spin(qtbot, window, text: str) -> None:
    spin = window.panel.threshold_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=5000)
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key.Key_Return)


@pytest.mark.parametrize("typed, expected", [("0.6", 0.600), ("0.95", 0.950), ("0.123", 0.123)])
def test_typing_a_threshold_gives_that_threshold(qtbot, window, typed, expected):
    window.activateWindow()
    _type_into_spin(qtbot, window, typed)
    assert window.state.threshold == pytest.approx(expected, abs=1e-9)
    assert window.panel.threshold_spin.value() == pytest.approx(expected)
    assert window.panel.threshold_slider.value() == round(expected * 1000)


def test_invalid_input_keeps_the_previous_threshold(qtbot, window):
    _type_into_spin(qtbot, window, "0.6")
    _type_into_spin(qtbot, window, "abc")
    assert window.state.threshold == pytest.approx(0.6)


def test_digit_one_in_the_spin_box_types_and_does_not_zoom_1_to_1(qtbot, window):
    path = nih_png()
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    zooms = []
    window.actions_.actual.triggered.connect(lambda: zooms.append(True))
    _type_into_spin(qtbot, window, "1")
    assert zooms == []  # the 1:1 shortcut did not fire
    # "1" was typed into the box (and refused there: a threshold lies strictly between 0 and 1)
    assert window.state.threshold == pytest.approx(window.model_info.threshold)
    assert "outside the allowed range" in window.panel.threshold_controls.message.text()
    # Away from text fields the same key is the viewer's shortcut again.
    window.canvas.view.setFocus()
    qtbot.waitUntil(window.canvas.view.hasFocus, timeout=5000)
    QTest.keyClick(window.canvas.view, Qt.Key.Key_1)
    assert zooms == [True]


def test_letter_shortcuts_do_not_fire_while_typing(qtbot, window):
    heat = window.state.heatmap_visible
    _type_into_spin(qtbot, window, "h")
    assert window.state.heatmap_visible == heat


def test_analyse_all_is_disabled_with_nothing_open_and_while_a_batch_runs(qtbot, window, study_folder):
    from tests.gui.conftest import open_folder_and_wait

    analyse, button = window.actions_.analyse, window.browser.analyse_button
    assert not analyse.isEnabled() and not button.isEnabled()  # a model, but nothing open
    open_folder_and_wait(qtbot, window, study_folder)
    assert analyse.isEnabled() and button.isEnabled()
    with qtbot.waitSignal(window.batch_done, timeout=120000):
        window.analyse_all()
        assert not analyse.isEnabled() and not button.isEnabled()
    assert analyse.isEnabled() and button.isEnabled()


def _wheel(window, notches: int) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    viewport = window.canvas.view.viewport()
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    for _ in range(abs(notches)):
        event = QWheelEvent(
            centre,
            QPointF(viewport.mapToGlobal(centre.toPoint())),
            QPoint(0, 0),
            QPoint(0, 120 if notches > 0 else -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(viewport, event)


def test_wheel_zoom_has_fine_steps_limits_and_a_reset_key(qtbot, window):
    from cardioview.gui.canvas import WHEEL_STEP, ZOOM_LIMITS

    path = nih_png()
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    canvas = window.canvas
    fitted = canvas.zoom_factor()
    _wheel(window, 1)
    step = canvas.zoom_factor() / fitted
    assert 1.1 <= step <= 1.15 and step == pytest.approx(WHEEL_STEP, rel=1e-3)
    _wheel(window, 80)
    assert canvas.zoom_factor() == pytest.approx(ZOOM_LIMITS[1], rel=1e-3)  # 3,200 %, no further
    _wheel(window, -120)
    assert canvas.zoom_factor() == pytest.approx(ZOOM_LIMITS[0], rel=1e-3)  # 5 %
    window.actions_.invert.setChecked(True)
    canvas.view.setFocus()
    QTest.keyClick(canvas.view, Qt.Key.Key_R)
    assert canvas.zoom_factor() == pytest.approx(fitted, rel=1e-3)
    assert not window.actions_.invert.isChecked() and not canvas.user_invert


def test_heat_map_leaves_low_attention_transparent_and_the_colour_bar_says_what_it_shows(qtbot, window):
    path = nih_png()
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    rgba = window.canvas.heat_item.image
    heat = window.canvas.heat_for_current().heat
    assert rgba.shape[-1] == 4
    assert (rgba[..., 3][heat <= 0.25] == 0).all() and (rgba[..., 3][heat >= 0.75] == 255).all()
    assert window.panel.colour_bar_title.text() == "attention W, relative to this image"
    window.state.set_scale("absolute")
    assert window.panel.colour_bar_title.text().startswith("attention W, absolute")

"""Controls that cannot silently change a reading (issue 18, item 4): the threshold box and the wheel.

Real key events into the real threshold field, real wheel events sent to the real widget under the
pointer in the shown main window.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cardioview.gui.threshold_field import parse_threshold
from tests.gui.conftest import nih_png, show_and_wait


@pytest.mark.parametrize(
    "text, expected", [("0.5", 0.5), ("0,5", 0.5), (" .25 ", 0.25), ("0,123", 0.123), ("0.999", 0.999)]
)
def test_a_dot_and_a_comma_both_read_as_the_decimal_separator(text, expected):
    for locale in (QLocale(QLocale.Language.English), QLocale(QLocale.Language.German)):
        value, reason = parse_threshold(text, locale)
        assert value == pytest.approx(expected) and reason == ""


@pytest.mark.parametrize("text", ["0", "1", "1.5", "-0.2", "0,0", "abc", "", "nan", "inf", "1e3"])
def test_values_outside_the_open_interval_are_refused_with_a_reason(text):
    value, reason = parse_threshold(text, QLocale(QLocale.Language.English))
    assert value is None
    assert reason  # says why, never a silent clamp


def _type_threshold(qtbot, window, text: str) -> None:
    field = window.panel.threshold_field
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    field.selectAll()
    QTest.keyClicks(field, text)
    QTest.keyClick(field, Qt.Key.Key_Return)


def test_comma_threshold_applies_and_enter_gives_the_keys_back_to_the_film_list(qtbot, window, study_folder):
    from tests.gui.conftest import open_folder_and_wait

    window.activateWindow()
    open_folder_and_wait(qtbot, window, study_folder)
    qtbot.waitUntil(lambda: window.state.current_key is not None, timeout=30000)
    first = window.state.current_key
    _type_threshold(qtbot, window, "0,3")
    assert window.state.threshold == pytest.approx(0.3)  # was 0 with the spin box: every film POSITIVE
    assert not window.panel.threshold_controls.message.isVisible()
    qtbot.waitUntil(window.browser.tree.hasFocus, timeout=5000)
    for _ in range(6):  # past the study/series rows between two films
        QTest.keyClick(window.browser.tree, Qt.Key.Key_Down)
        if window.state.current_key != first:
            break
    assert window.state.current_key != first  # Down browsed the films
    assert window.state.threshold == pytest.approx(0.3)  # ... and left the threshold alone


@pytest.mark.parametrize("typed", ["1.5", "0", "1", "-0.1", "0.5.5"])
def test_out_of_range_threshold_is_refused_with_a_visible_message(qtbot, window, typed):
    window.activateWindow()
    before = window.state.threshold
    _type_threshold(qtbot, window, typed)
    message = window.panel.threshold_controls.message
    assert message.isVisible()
    assert message.text() and f"stays {before:.3f}" in message.text()
    assert window.state.threshold == before  # not clamped to 1.000 or 0.000
    assert window.panel.threshold_field.hasFocus()  # the user corrects it where they typed
    _type_threshold(qtbot, window, "0.4")
    assert window.state.threshold == pytest.approx(0.4)
    assert not message.isVisible()


def test_reset_to_model_default(qtbot, window):
    controls = window.panel.threshold_controls
    default = window.model_info.threshold
    assert not controls.reset_button.isEnabled()  # already at the model's threshold
    _type_threshold(qtbot, window, "0.2")
    assert window.state.threshold == pytest.approx(0.2)
    assert controls.reset_button.isEnabled()
    qtbot.mouseClick(controls.reset_button, Qt.MouseButton.LeftButton)
    assert window.state.threshold == pytest.approx(default)
    assert window.panel.threshold_field.value() == pytest.approx(default)
    assert not controls.reset_button.isEnabled()


def _wheel_over(window, widget, notches: int = -1):
    """Send a real wheel event to whatever widget is under the pointer at ``widget``'s centre."""
    centre = widget.mapToGlobal(widget.rect().center())
    target = window.childAt(window.mapFromGlobal(centre))
    assert target is widget or widget.isAncestorOf(target), f"{widget} is not under the pointer ({target})"
    local = target.mapFromGlobal(centre)
    event = QWheelEvent(
        QPointF(local),
        QPointF(centre),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(target, event)
    return target


def test_the_wheel_scrolls_the_panel_and_leaves_unfocused_controls_alone(qtbot, window):
    path = nih_png()
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    window.resize(1280, 560)  # short enough for the panel to scroll
    bar = window.panel_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    panel = window.panel
    window.canvas.view.setFocus()
    settings_before = (window.settings.opacity, window.settings.scale, window.settings.colormap)
    for control in (
        panel.scale_combo,
        panel.colormap_combo,
        panel.opacity_slider,
        panel.threshold_slider,
        window.anatomy_view.slider,
    ):
        bar.setValue(0)
        window.panel_scroll.ensureWidgetVisible(control, 0, 0)
        QApplication.processEvents()
        state = (
            window.state.scale,
            window.state.colormap,
            window.state.opacity,
            window.state.threshold,
            panel.scale_combo.currentIndex(),
            panel.opacity_slider.value(),
            window.anatomy_view.opacity,
        )
        scrolled_from = bar.value()
        if scrolled_from == bar.maximum():
            bar.setValue(bar.maximum() - 1)
            scrolled_from = bar.value()
        if not control.isVisible():
            continue  # the outline slider shows only with a segmentation
        _wheel_over(window, control, notches=-1)
        assert (
            window.state.scale,
            window.state.colormap,
            window.state.opacity,
            window.state.threshold,
            panel.scale_combo.currentIndex(),
            panel.opacity_slider.value(),
            window.anatomy_view.opacity,
        ) == state, control
        assert bar.value() > scrolled_from, f"the panel did not scroll under {control}"
    window.settings.sync()
    assert (window.settings.opacity, window.settings.scale, window.settings.colormap) == settings_before


def test_a_focused_control_still_takes_the_wheel(qtbot, window):
    combo = window.panel.scale_combo
    window.resize(1280, 800)
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=5000)
    before = combo.currentIndex()
    _wheel_over(window, combo, notches=-1 if before == 0 else 1)
    assert combo.currentIndex() != before  # clicked or tabbed into, it works as usual

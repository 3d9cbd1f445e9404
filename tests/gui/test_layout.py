"""The panel fits a laptop: screenshots at 1280x720 and 1920x1080, and every control's real geometry.

Set CARDIOVIEW_SCREENSHOT_DIR to keep the screenshots for a look.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLabel

from tests.gui.conftest import nih_png, show_and_wait


def _controls(panel):
    kinds = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLabel)
    from PySide6.QtWidgets import QWidget

    return [w for w in panel.findChildren(QWidget) if isinstance(w, kinds) and w.isVisibleTo(panel)]


def _check_geometry(qtbot, window) -> None:
    panel, scroll = window.panel, window.panel_scroll
    squeezed = []
    for widget in _controls(panel):
        need = widget.minimumSizeHint().height()
        if isinstance(widget, QLabel) and widget.wordWrap() and widget.text():
            need = widget.heightForWidth(widget.width())
        if widget.height() < need:
            squeezed.append(
                f"{type(widget).__name__} {widget.objectName() or widget.text()[:30]!r}: {widget.height()} < {need}"
            )
    assert not squeezed, squeezed
    assert panel.width() <= scroll.viewport().width()  # nothing cut sideways
    for widget in (panel.model_label, panel.measure_button, panel.probability_label):  # all reachable
        scroll.ensureWidgetVisible(widget, 0, 0)
        qtbot.wait(20)
        top = widget.mapTo(scroll.viewport(), widget.rect().topLeft()).y()
        assert 0 <= top and top + widget.height() <= scroll.viewport().height() + 1
    scroll.verticalScrollBar().setValue(0)
    qtbot.wait(50)


def _screenshot(window, tmp_path, name: str, size, min_std: float = 20) -> None:
    shot = tmp_path / f"{name}_{size[0]}x{size[1]}.png"
    window.grab().save(str(shot))
    picture = np.asarray(Image.open(shot).convert("RGB"))
    assert picture.shape[:2] == (size[1], size[0]) and picture.std() > min_std  # not a blank grab
    keep = os.environ.get("CARDIOVIEW_SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(shot, keep)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_panel_control_keeps_its_height_at(qtbot, window, tmp_path, size):
    from tests.gui.conftest import dicom_file

    path = nih_png()
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    window.showNormal()
    window.resize(*size)
    qtbot.wait(200)
    assert window.width() == size[0] and window.height() == size[1]
    _check_geometry(qtbot, window)
    _screenshot(window, tmp_path, "result", size)

    # A long error wraps over several lines and must not squash the controls below it.
    broken = tmp_path / "scan_of_the_follow_up_visit_with_a_long_name_jpeg2000_cut_short.dcm"
    shutil.copy(dicom_file("emri_small_jpeg_2k_lossless_too_short.dcm"), broken)
    window.open_files([broken])
    qtbot.waitUntil(lambda: "truncated" in window.panel.status_label.text(), timeout=30000)
    qtbot.wait(100)
    label = window.panel.status_label
    assert label.wordWrap() and label.height() >= 2 * label.fontMetrics().height()  # wrapped, fully shown
    _check_geometry(qtbot, window)
    _screenshot(window, tmp_path, "error", size, min_std=5)  # mostly the dark empty canvas


def test_tree_names_elide_at_the_end_with_the_whole_name_in_a_tooltip(qtbot, window, tmp_path):
    from PySide6.QtCore import Qt

    from cardioview.gui.study_tree import image_key
    from tests.gui.conftest import dicom_file

    names = [f"000000_long_name_of_one_film_{enc}.dcm" for enc in ("explicit", "jpeg2000", "jpegls", "rle")]
    for name in names:
        shutil.copy(dicom_file("RG1_UNCR.dcm"), tmp_path / name)
    window.open_files([tmp_path / n for n in names])
    tree = window.browser.tree
    assert tree.textElideMode() == Qt.TextElideMode.ElideRight
    assert tree.minimumWidth() >= 240
    for name in names:
        item = window.browser.model.items[image_key(tmp_path / name)]
        assert str(tmp_path / name) in item.toolTip()

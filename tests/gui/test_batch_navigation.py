"""Analyse all keeps the film being read; End shows the last film; the end-of-batch words are true
(issue 18, item 4). Real folders, real key events into the real browser."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from cardioview.gui.batch_analysis import nothing_to_analyse
from cardioview.gui.study_tree import image_key
from tests.gui.conftest import dicom_file, nih_png, open_folder_and_wait, show_and_wait


def _row_in_view(window, key: str) -> bool:
    browser = window.browser
    index = browser.proxy.mapFromSource(browser.model.items[key].index())
    rect = browser.tree.visualRect(index)
    return rect.isValid() and browser.tree.viewport().rect().contains(rect)


def _many_films(tmp_path, n: int = 40):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(n):
        shutil.copy(nih_png(), folder / f"film_{i:03d}.png")
    return folder


def test_the_film_being_read_stays_selected_when_analyse_all_ends(qtbot, window, tmp_path):
    folder = _many_films(tmp_path, 30)
    open_folder_and_wait(qtbot, window, folder)
    reading = image_key(folder / "film_017.png")
    show_and_wait(qtbot, window, folder / "film_017.png")
    with qtbot.waitSignal(window.batch_done, timeout=240000):
        window.analyse_all()
    assert window.state.current_key == reading  # not the top of the triage list
    assert window.browser.tree.currentIndex().data(Qt.ItemDataRole.UserRole + 1) == reading
    qtbot.waitUntil(lambda: _row_in_view(window, reading), timeout=5000)


def test_end_key_selects_the_last_film_and_shows_it(qtbot, window, tmp_path):
    folder = _many_films(tmp_path)
    open_folder_and_wait(qtbot, window, folder)
    tree = window.browser.tree
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus, timeout=5000)
    QTest.keyClick(tree, Qt.Key.Key_End)
    last = window.browser.visible_keys()[-1]
    qtbot.waitUntil(lambda: window.state.current_key == last, timeout=30000)
    qtbot.wait(300)  # thumbnails arriving change row heights
    assert _row_in_view(window, last)
    QTest.keyClick(tree, Qt.Key.Key_Home)
    assert tree.verticalScrollBar().value() == 0  # back at the top


def test_analyse_all_says_what_is_true_when_every_file_failed(qtbot, window, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in ("a.dcm", "b.dcm"):  # headers scan, pixel data cut short: both fail to load
        shutil.copy(dicom_file("emri_small_jpeg_2k_lossless_too_short.dcm"), folder / name)
    assert open_folder_and_wait(qtbot, window, folder) == 2
    with qtbot.waitSignal(window.batch_done, timeout=60000):
        window.analyse_all()
    assert len(window.failed_keys) == 2
    with qtbot.waitSignal(window.batch_done, timeout=10000) as done:
        window.analyse_all()
    assert done.args == [0, False]
    said = window.statusBar().currentMessage()
    assert "No analysable images: 2 file(s) failed to load" in said
    assert "already analysed" not in said


def test_nothing_to_analyse_wording():
    assert nothing_to_analyse(3, 0) == "Every image is already analysed"
    assert nothing_to_analyse(3, 1).startswith("Every analysable image is already analysed")
    assert nothing_to_analyse(2, 2) == "No analysable images: 2 file(s) failed to load"
    assert nothing_to_analyse(0, 0, 5) == "No analysable images: 5 file(s) failed to load"
    assert nothing_to_analyse(0, 0) == "Nothing to analyse: open a folder or files first"

"""Opening folders and files: real DICOMs and PNGs, drops, bad files, Analyse all, stale results."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cardioview.gui.study_tree import image_key
from cardioview.gui.worker import InferenceResult
from tests.gui.conftest import dicom_file, nih_png, open_folder_and_wait, show_and_wait


def _drop(window, paths: list[Path]) -> None:
    """What a file manager does: drag enter, then drop, with the paths as URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PySide6 offers only the QPoint overload
        enter = QDragEnterEvent(QPoint(400, 300), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(400, 300), *args))


def test_folder_of_real_dicoms_lists_images_and_skipped_files(qtbot, window, study_folder):
    count = open_folder_and_wait(qtbot, window, study_folder)

    assert count == 4  # chest CR, hand CR, NIH PNG, and the truncated DICOM (its header is fine)
    keys = {Path(k).name for k, _ in window.browser.image_items()}
    assert keys == {"chest_cr.dcm", "hand_cr.dcm", "nih_chest.png", "truncated.dcm"}
    skipped = [window.browser.skipped.item(i).text() for i in range(window.browser.skipped.count())]
    assert skipped == ["broken.png — not a valid PNG image: it looks like text", "notes.txt — not an image (skipped)"]
    assert any("broken.png" in m for m in window.notifier.messages)

    key = show_and_wait(qtbot, window, study_folder / "chest_cr.dcm")
    xray = window.state.current_xray
    assert xray.shape == (1955, 1841)
    assert "CompressedSamples" in window.canvas.top_left.text()  # patient name from the DICOM header
    assert window.browser.probability_text(key).endswith("%")

    show_and_wait(qtbot, window, study_folder / "hand_cr.dcm")
    assert "EXTREMITY" in window.canvas.warning_label.text()  # suitability warning overlaid


def test_dropped_png_opens_and_is_analysed(qtbot, window, predictor):
    png = nih_png("00000003_000.png")
    _drop(window, [png])
    key = image_key(png)
    qtbot.waitUntil(lambda: window.state.current_key == key and window.state.prediction() is not None, timeout=30000)

    assert window.state.current_xray.shape == (1024, 1024)
    assert predictor.calls == ["00000003_000.png"]
    assert window.canvas.heat_item.isVisible()


def test_dropped_folder_opens_it(qtbot, window, study_folder):
    with qtbot.waitSignal(window.folder_opened, timeout=30000) as opened:
        _drop(window, [study_folder])
    assert opened.args == [4]
    assert str(study_folder) in window.settings.recent_paths


def test_dropped_bad_file_gives_a_message_and_the_app_carries_on(qtbot, window, tmp_path):
    bad = tmp_path / "scan.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # a PNG signature and nothing usable
    _drop(window, [bad])
    qtbot.waitUntil(lambda: image_key(bad) in window.failed_keys, timeout=30000)
    assert "scan.png" in window.panel.status_label.text().replace("\u200b", "")  # zero-width breaks let it wrap
    assert any("scan.png" in m for m in window.notifier.messages)

    good = dicom_file("RG1_UNCR.dcm")
    _drop(window, [good])
    qtbot.waitUntil(
        lambda: window.state.current_key == image_key(good) and window.state.prediction() is not None, timeout=30000
    )


def test_analyse_all_carries_on_past_bad_files_and_sorts_by_probability(qtbot, window, study_folder, predictor):
    open_folder_and_wait(qtbot, window, study_folder)
    with qtbot.waitSignal(window.batch_done, timeout=60000) as done:
        window.analyse_all()
    analysed, cancelled = done.args
    assert not cancelled
    truncated = image_key(study_folder / "truncated.dcm")
    assert truncated in window.failed_keys
    assert window.browser.probability_text(truncated) == "error"
    good = [k for k, _ in window.browser.image_items() if k != truncated]
    assert all(k in window.state.predictions for k in good)
    assert sorted(predictor.calls) == sorted({"chest_cr.dcm", "hand_cr.dcm", "nih_chest.png"})  # each once

    order = window.browser.visible_keys()
    probs = [window.state.predictions[k].probability for k in order if k in window.state.predictions]
    assert probs == sorted(probs, reverse=True)

    log = (Path(window.audit.path)).read_text().splitlines()
    entries = [json.loads(line) for line in log]
    assert {e["action"] for e in entries} >= {"analyse"}
    assert any("sop_instance_uid" in e for e in entries) and any("file_sha256" in e for e in entries)
    assert "CompressedSamples" not in "".join(log)  # no patient names in the audit log


def test_stale_results_are_never_drawn_on_another_image(qtbot, window, study_folder, real_predictor):
    from cardioview.imaging.loader import load

    open_folder_and_wait(qtbot, window, study_folder)
    chest, hand, nih = (image_key(study_folder / n) for n in ("chest_cr.dcm", "hand_cr.dcm", "nih_chest.png"))
    shown: list[str] = []
    window.image_shown.connect(shown.append)
    # Three selections within one event-loop turn: the first two loads come back stale.
    window.browser.select(chest)
    window.browser.select(hand)
    window.browser.select(nih)
    qtbot.waitUntil(lambda: window.state.current_key == nih and window.state.prediction() is not None, timeout=30000)
    assert shown == [nih]
    probability = window.panel.probability_label.text()
    heat_before = window.canvas.heat_item.image.copy()

    # A result for an image the user has left arrives late: stored under its own key, not drawn.
    late = real_predictor.predict(load(study_folder / "chest_cr.dcm"))
    window._on_result(InferenceResult(1, chest, prediction=late))
    assert window.state.current_key == nih
    assert window.panel.probability_label.text() == probability
    assert (window.canvas.heat_item.image == heat_before).all()


def test_analyse_all_can_be_cancelled(qtbot, window, study_folder):
    open_folder_and_wait(qtbot, window, study_folder)
    with qtbot.waitSignal(window.batch_done, timeout=60000) as done:
        window.analyse_all()
        assert window.cancel_button.isVisible() and window.progress.isVisible()
        window.cancel_batch()
    analysed, cancelled = done.args
    assert cancelled and analysed < 4
    assert not window.progress.isVisible()


def test_dicom_tags_dialog_lists_the_header(qtbot, window):
    from cardioview.gui.tags_dialog import TagsDialog

    window.open_files([dicom_file("RG1_UNCR.dcm")])
    qtbot.waitUntil(lambda: window.state.current_xray is not None, timeout=30000)
    dialog = TagsDialog(window.state.current_xray, window)
    qtbot.addWidget(dialog)
    rows = {
        dialog.tree.topLevelItem(i).text(1): dialog.tree.topLevelItem(i).text(3)
        for i in range(dialog.tree.topLevelItemCount())
    }
    assert rows["Modality"] == "CR" and rows["PhotometricInterpretation"] == "MONOCHROME1"
    assert "PixelData" not in rows  # header only
    dialog.filter.setText("photometric")
    visible = [
        dialog.tree.topLevelItem(i).text(1)
        for i in range(dialog.tree.topLevelItemCount())
        if not dialog.tree.topLevelItem(i).isHidden()
    ]
    assert visible == ["PhotometricInterpretation"]


def test_tags_of_a_png_say_it_is_not_dicom():
    from cardioview.gui.tags_dialog import header_rows
    from cardioview.imaging.loader import load

    rows = header_rows(load(nih_png()))
    assert rows[0][1] == "File" and "not a DICOM file" in rows[0][3]


def test_broken_files_are_marked_in_the_tree_as_soon_as_the_scan_ends(qtbot, window, study_folder, predictor):
    import pydicom

    from cardioview.gui.study_model import ERROR_COLOUR, ERROR_ROLE

    rg1 = dicom_file("RG1_UNCR.dcm")
    (study_folder / "empty.dcm").write_bytes(b"")
    (study_folder / "header_cut.dcm").write_bytes(rg1.read_bytes()[:700])  # ends inside the header
    (study_folder / "letter.dcm").write_text("not a DICOM file at all\n")
    ds = pydicom.dcmread(rg1)
    del ds.PixelData
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.save_as(study_folder / "no_pixels.dcm")  # a complete header, in the chest CR's series
    browser = window.browser
    at_scan_end: dict[str, str] = {}
    # Read in the slot itself: the tree as the scan left it, before any selection, load or thumbnail.
    window.folder_opened.connect(lambda _count: at_scan_end.update(browser.error_rows()))

    count = open_folder_and_wait(qtbot, window, study_folder)

    assert count == 5  # no_pixels.dcm is an image of its series; the other three are not images
    assert {Path(p).name for p in at_scan_end} == {
        "empty.dcm",
        "header_cut.dcm",
        "letter.dcm",
        "broken.png",
        "no_pixels.dcm",
    }
    reasons = {Path(p).name: r for p, r in at_scan_end.items()}
    assert reasons["empty.dcm"] == "empty file"
    assert "truncated" in reasons["header_cut.dcm"]
    assert "not a DICOM file" in reasons["letter.dcm"]
    assert "no or truncated pixel data" in reasons["no_pixels.dcm"]

    no_pixels = browser.model.items[image_key(study_folder / "no_pixels.dcm")]
    chest = browser.model.items[image_key(study_folder / "chest_cr.dcm")]
    assert no_pixels.parent() is chest.parent()  # marked inside its series, not moved out of it
    assert browser.probability_text(image_key(study_folder / "no_pixels.dcm")) == "error"
    rows = []
    stack = [browser.model.invisibleRootItem()]
    while stack:
        item = stack.pop()
        for r in range(item.rowCount()):
            stack.append(item.child(r, 0))
            if item.child(r, 0).data(ERROR_ROLE):
                rows.append(item.child(r, 0))
    assert len(rows) == 5
    for row in rows:
        assert row.foreground().color().name() == ERROR_COLOUR
        assert row.data(ERROR_ROLE) in row.toolTip() and row.data(ERROR_ROLE)
        assert row.data(Qt.ItemDataRole.DecorationRole).cacheKey() == browser.model.unreadable.cacheKey()
    group = next(r.parent() for r in rows if r.text() == "empty.dcm")
    assert group.text() == "Unreadable files (4)"
    assert image_key(study_folder / "no_pixels.dcm") not in browser.model.thumbnails  # marked without a decode
    qtbot.waitUntil(lambda: window.state.current_key is not None, timeout=30000)
    assert window.state.current_key != image_key(study_folder / "no_pixels.dcm")  # first pick is a readable one

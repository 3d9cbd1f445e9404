"""Issue 9: a file that aborts a native decoder, dropped on the real window, costs one reason, not the viewer."""

from __future__ import annotations

from cardioview.gui.study_tree import image_key
from tests.gui.conftest import dicom_file
from tests.gui.test_browse import _drop
from tests.imaging.hostile_files import CRASHERS, edited


def test_dropped_decoder_crasher_leaves_the_window_up_with_the_reason(qtbot, window, tmp_path):
    src, edit = CRASHERS["jpeg_alloc32"]  # aborts python-gdcm (SIGABRT) in a bare process
    crasher = edited(src, tmp_path / "forged.dcm", edit)
    _drop(window, [crasher])
    qtbot.waitUntil(lambda: image_key(crasher) in window.failed_keys, timeout=60000)
    assert window.isVisible()
    assert "forged.dcm" in window.panel.status_label.text().replace("\u200b", "")  # wrap points are zero-width
    assert any("the JPEG decoder crashed on this file" in m for m in window.notifier.messages)

    good = dicom_file("RG1_UNCR.dcm")
    _drop(window, [good])
    qtbot.waitUntil(
        lambda: window.state.current_key == image_key(good) and window.state.prediction() is not None, timeout=60000
    )

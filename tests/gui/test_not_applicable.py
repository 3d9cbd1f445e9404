"""No verdict where the model does not apply: the real window on a real MR head, CT and extremity CR."""

from __future__ import annotations

import shutil

from tests.dicom_factory import not_applicable_folder
from tests.gui.conftest import dicom_file, open_folder_and_wait, show_and_wait


def test_mr_film_gets_no_verdict_and_a_greyed_probability_on_request(qtbot, window, tmp_path):
    from cardioview.gui.panel_widgets import NEUTRAL_COLOUR

    path = tmp_path / "mr_head.dcm"
    shutil.copy(dicom_file("emri_small.dcm"), path)
    window.open_files([path])
    show_and_wait(qtbot, window, path)
    panel = window.panel
    prediction = window.state.prediction()
    assert not prediction.applicable and "modality MR" in prediction.not_applicable
    assert panel.verdict_label.text().startswith("Not applicable: modality MR")
    assert "POSITIVE" not in panel.verdict_label.text() and "NEGATIVE" not in panel.verdict_label.text()
    assert panel.probability_label.text() == "n/a"
    assert panel.reveal_button.isVisible()
    panel.reveal_button.click()
    assert f"{prediction.probability * 100:.1f}" in panel.probability_label.text()
    assert NEUTRAL_COLOUR in panel.probability_label.styleSheet()  # greyed, never red/green
    assert "Not applicable" in panel.verdict_label.text()


def test_triage_list_puts_not_applicable_films_last_with_a_flag(qtbot, window, tmp_path):
    from cardioview.gui.study_browser import NOT_APPLICABLE_TEXT
    from cardioview.gui.study_tree import image_key

    folder = not_applicable_folder(tmp_path / "mixed")
    assert open_folder_and_wait(qtbot, window, folder) == 4
    qtbot.waitUntil(lambda: window.state.current_key is not None, timeout=30000)
    reading = window.state.current_key
    with qtbot.waitSignal(window.batch_done, timeout=120000):
        window.analyse_all()
    keys = window.browser.visible_keys()
    chest = image_key(folder / "chest_cr.dcm")
    assert keys[0] == chest  # the only film the model reads ranks first
    from cardioview.gui.study_model import KEY_ROLE

    assert window.browser.tree.currentIndex().data(KEY_ROLE) == reading  # the film being read stays selected
    for name in ("mr_head.dcm", "ct.dcm", "tibia_cr.dcm"):
        key = image_key(folder / name)
        assert window.browser.probability_text(key) == NOT_APPLICABLE_TEXT
    assert window.browser.probability_text(chest).endswith("%")


# -- issue 18: no model output drawn on a not-applicable film ------------------------------------
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

ANATOMY = __import__("tests.gui.conftest", fromlist=["REPO_ROOT"]).REPO_ROOT / "weights" / "cxr_anatomy"


def _colour_pixels(rgb: np.ndarray) -> int:
    channels = rgb.astype(np.int16)
    return int((np.abs(channels[..., 0] - channels[..., 1]) + np.abs(channels[..., 1] - channels[..., 2]) > 30).sum())


@pytest.fixture
def anatomy_window(qtbot, tiny_bundle):
    if not (ANATOMY / "manifest.json").is_file():
        pytest.skip("weights/cxr_anatomy is not in this checkout")
    from cardioview.inference.predictor import Predictor
    from tests.gui.conftest import shown_window

    yield from shown_window(qtbot, Predictor(tiny_bundle, backend="onnx", device="cpu", anatomy=ANATOMY))


def _overlays(win) -> dict:
    """What the canvas draws of the model; "colour": hued pixels on the film (the amber warning box left out)."""
    grab = win.canvas.grab_rgb()
    box = win.canvas.warning_label.geometry()
    if win.canvas.warning_label.isVisible():
        grab[box.top() : box.bottom() + 1, box.left() : box.right() + 1] = 0
    return {
        "heat": win.canvas.heat_item.isVisible(),
        "outlines": win.anatomy_view.item.isVisible(),
        "calipers": win.state.measurement() is not None,
        "colour": _colour_pixels(grab),
    }


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "SC_rgb_2frame.dcm"])
def test_not_applicable_film_shows_no_model_output_until_asked(qtbot, anatomy_window, tmp_path, name):
    from cardioview.render.model_output import MEANINGLESS_NOTE, WITHHELD_NOTE
    from cardioview.render.report import read_report_metadata

    win = anatomy_window
    win.state.set_opacity(0.8)
    path = tmp_path / name
    shutil.copy(dicom_file(name), path)
    chest = tmp_path / "chest_cr.dcm"
    shutil.copy(dicom_file("RG1_UNCR.dcm"), chest)
    win.open_files([chest, path])
    show_and_wait(qtbot, win, path)
    qtbot.wait(50)
    prediction = win.state.prediction()
    assert not prediction.applicable and prediction.anatomy is not None  # the segmenter did run on it
    assert _overlays(win) == {"heat": False, "outlines": False, "calipers": False, "colour": 0}
    assert win.anatomy_view.ctr_text(win.state.current_key) == ""  # no automatic CTR in the list either
    assert win.actions_.export.isEnabled()
    assert win.export_current(tmp_path / "withheld.png")
    qtbot.waitUntil(lambda: (tmp_path / "withheld.png").is_file(), timeout=30000)
    meta = read_report_metadata(tmp_path / "withheld.png")
    assert meta["display"]["model_output"] == "withheld" and meta["ctr"] is None
    assert any(WITHHELD_NOTE in line for line in meta["lines"])

    qtbot.mouseClick(win.panel.reveal_button, Qt.MouseButton.LeftButton)  # "Show model output anyway"
    qtbot.wait(50)
    shown = _overlays(win)
    assert shown["heat"] and shown["outlines"] and shown["colour"] == 0  # drawn, but greyed
    assert not shown["calipers"]  # automatic calipers are a measurement: never placed on such a film
    assert MEANINGLESS_NOTE in win.canvas.warning_label.text()
    assert win.export_current(tmp_path / "shown.png")
    qtbot.waitUntil(lambda: (tmp_path / "shown.png").is_file(), timeout=30000)
    meta = read_report_metadata(tmp_path / "shown.png")
    assert meta["display"]["model_output"] == "greyed" and MEANINGLESS_NOTE in meta["lines"]

    show_and_wait(qtbot, win, chest)  # the chest CR keeps its output, in colour
    qtbot.wait(50)
    chest_overlays = _overlays(win)
    assert chest_overlays["heat"] and chest_overlays["outlines"] and chest_overlays["calipers"]
    assert chest_overlays["colour"] > 500
    show_and_wait(qtbot, win, path)  # back on the not-applicable film: withheld again
    # the canvas redraws after the result is set: wait for it rather than a fixed delay (flaky under load)
    qtbot.waitUntil(lambda: _overlays(win)["heat"] is False, timeout=10000)
    assert not win.panel.reveal_button.isChecked()

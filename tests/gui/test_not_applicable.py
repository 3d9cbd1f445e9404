"""No verdict where the model does not apply: the real window on a real MR head, CT and extremity CR."""

from __future__ import annotations

import shutil

from tests.gui.conftest import dicom_file, open_folder_and_wait, show_and_wait


def test_mr_film_gets_no_verdict_and_a_greyed_probability_on_request(qtbot, window, tmp_path):
    from cardioview.gui.panel import NEUTRAL_COLOUR

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
    from cardioview.gui.study_index import image_key

    folder = tmp_path / "mixed"
    folder.mkdir()
    for name, target in (("emri_small.dcm", "mr_head.dcm"), ("CT_small.dcm", "ct.dcm"),
                         ("RG3_UNCR.dcm", "tibia_cr.dcm"), ("RG1_UNCR.dcm", "chest_cr.dcm")):
        shutil.copy(dicom_file(name), folder / target)
    assert open_folder_and_wait(qtbot, window, folder) == 4
    qtbot.waitUntil(lambda: window.state.current_key is not None, timeout=30000)
    reading = window.state.current_key
    with qtbot.waitSignal(window.batch_done, timeout=120000):
        window.analyse_all()
    keys = window.browser.visible_keys()
    chest = image_key(folder / "chest_cr.dcm")
    assert keys[0] == chest  # the only film the model reads ranks first
    from cardioview.gui.study_browser import KEY_ROLE

    assert window.browser.tree.currentIndex().data(KEY_ROLE) == reading  # the film being read stays selected
    for name in ("mr_head.dcm", "ct.dcm", "tibia_cr.dcm"):
        key = image_key(folder / name)
        assert window.browser.probability_text(key) == NOT_APPLICABLE_TEXT
    assert window.browser.probability_text(chest).endswith("%")

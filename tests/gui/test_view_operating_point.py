"""The panel gives an AP film its view's operating point from the manifest (issue 19, item 4)."""

import json

import numpy as np
import pytest

from cardioview.inference.predictor import Predictor
from cardioview.model.bundle import write_manifest
from tests.conftest import build_tiny_bundle
from tests.dicom_factory import nih_image, write_dicom
from tests.gui.conftest import show_and_wait, shown_window

AP_POINT = {"sensitivity": 0.836, "specificity": 0.688, "films": 265, "threshold": 0.5, "basis": "test films"}


@pytest.fixture
def view_window(qtbot, tmp_path):
    bundle = build_tiny_bundle(tmp_path / "tiny")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["validation_operating_point"] = {"sensitivity": 0.83, "specificity": 0.80, "accuracy": 0.8}
    manifest["view_notes"] = {"AP": "figures differ for this view: sensitivity 0.84, specificity 0.69"}
    manifest["view_operating_points"] = {"AP": AP_POINT}
    write_manifest(bundle, manifest)
    yield from shown_window(qtbot, Predictor(bundle, backend="onnx", device="cpu", anatomy=False))


def test_an_ap_film_shows_its_views_operating_point_and_a_pa_film_does_not(qtbot, view_window, tmp_path):
    pixels = nih_image().astype(np.uint16) * 257
    ap, pa = write_dicom(tmp_path / "ap.dcm", pixels, view="AP"), write_dicom(tmp_path / "pa.dcm", pixels, view="PA")
    view_window.open_files([ap, pa])
    show_and_wait(qtbot, view_window, ap)
    qtbot.wait(50)
    panel = view_window.panel
    assert "AP film: figures differ · sensitivity 0.84, specificity 0.69 on 265 test films estimated AP" in (
        panel.operating_label.text()
    )
    assert "AP film: figures differ for this view" in panel.probability_label.toolTip()
    show_and_wait(qtbot, view_window, pa)
    qtbot.wait(50)
    assert "figures differ" not in panel.operating_label.text()
    assert "validation sensitivity 0.83" in panel.operating_label.text()
    assert "figures differ" not in panel.probability_label.toolTip()

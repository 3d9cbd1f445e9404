"""No model output in the report of a film the model does not apply to (issue 18), with real files.

A real predictor (tiny ONNX bundle + the shipped heart/lung segmenter) on pydicom's CT, MR and
2-frame RGB test pattern, against RG1's chest CR which keeps its heat map, outlines and CTR.
"""

from __future__ import annotations

import numpy as np
import pytest

from cardioview.render.model_output import MEANINGLESS_NOTE, WITHHELD_NOTE
from cardioview.render.report import build_report
from cardioview.render.report_options import ReportOptions
from tests.conftest import REPO_ROOT

ANATOMY = REPO_ROOT / "weights" / "cxr_anatomy"
NOT_APPLICABLE = ("CT_small.dcm", "MR_small.dcm", "SC_rgb_2frame.dcm")


def _colour_pixels(rgb: np.ndarray) -> int:
    """Pixels with a hue: a heat map or an outline; a grey X-ray (or a greyed overlay) has none."""
    channels = rgb.astype(np.int16)
    return int((np.abs(channels[..., 0] - channels[..., 1]) + np.abs(channels[..., 1] - channels[..., 2]) > 30).sum())


@pytest.fixture(scope="module")
def analysed(tiny_bundle):
    if not (ANATOMY / "manifest.json").is_file():
        pytest.skip("weights/cxr_anatomy is not in this checkout")
    data = pytest.importorskip("pydicom.data")
    from cardioview.imaging.loader import load
    from cardioview.inference.predictor import Predictor
    from cardioview.results.film_result import analyse

    predictor = Predictor(tiny_bundle, backend="onnx", device="cpu", anatomy=ANATOMY)

    def run(name: str):
        xray = load(data.get_testdata_file(name))
        result = analyse(predictor, xray)
        return xray, result.prediction, result.automatic_ctr  # the segmenter's CTR, shown or not

    return run


@pytest.mark.parametrize("name", NOT_APPLICABLE)
def test_not_applicable_report_withholds_heat_map_outlines_and_automatic_ctr(analysed, name):
    xray, prediction, automatic = analysed(name)
    assert not prediction.applicable
    report = build_report(xray, prediction, ReportOptions(opacity=0.6, ctr=automatic))
    xray_panel, overlay_panel = report.panels
    assert np.array_equal(xray_panel, overlay_panel)  # the overlay panel is the bare X-ray
    assert _colour_pixels(overlay_panel) == 0 and _colour_pixels(xray_panel) == 0  # no heat, no outlines
    texts = [line.text for line in report.lines]
    assert any(WITHHELD_NOTE in t for t in texts)
    assert not any("segmentation" in t or t.startswith("Cardiothoracic ratio") for t in texts)
    assert not any(f"{prediction.probability:.3f}" in t for t in texts)  # the number too, as in the viewer
    assert report.metadata["ctr"] is None and report.metadata["display"]["model_output"] == "withheld"


@pytest.mark.parametrize("name", NOT_APPLICABLE)
def test_shown_on_request_it_is_greyed_and_labelled(analysed, name):
    xray, prediction, automatic = analysed(name)
    bare = build_report(xray, prediction, ReportOptions(opacity=0.6)).panels[1]
    report = build_report(xray, prediction, ReportOptions(opacity=0.6, ctr=automatic, show_model_output=True))
    assert _colour_pixels(report.panels[1]) == 0 and _colour_pixels(report.panels[0]) == 0  # greyed
    assert not np.array_equal(report.panels[1], bare)  # but the heat map is there
    texts = [line.text for line in report.lines]
    assert MEANINGLESS_NOTE in texts and report.metadata["display"]["model_output"] == "greyed"


def test_chest_cr_keeps_its_heat_map_outlines_and_ctr(analysed):
    xray, prediction, automatic = analysed("RG1_UNCR.dcm")
    assert prediction.applicable
    report = build_report(xray, prediction, ReportOptions(opacity=0.6, ctr=automatic))
    assert _colour_pixels(report.panels[1]) > 1000  # the heat map in colour
    assert report.metadata["display"]["model_output"] == "shown"
    assert automatic is not None and report.metadata["ctr"] is not None
    assert _colour_pixels(report.panels[0]) > 50  # coloured heart/lung outlines

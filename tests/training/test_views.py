"""``cardioview views`` (issue 19, item 4): the view estimator and per-view figures on real NIH films.

One small measurement (200 cxr128 images split as the bundle's run splits them, the shipped network,
the 108 films of known view) feeds every test; it skips without ../shared/data.
"""

import json
import shutil

import numpy as np
import pytest

from cardioview.errors import WeightsError
from cardioview.imaging import load
from cardioview.inference.predictor import Predictor
from cardioview.model.bundle import write_manifest
from cardioview.render.report_content import report_lines
from cardioview.training.card.card_tables import refit_sections
from cardioview.training.cli import main
from cardioview.training.evaluation.view_estimator import labelled_view_films
from cardioview.training.evaluation.view_manifest import with_view_section, write_view_section
from cardioview.training.evaluation.view_measurement import measure_views
from tests.conftest import SHARED_DATA, SHIPPED_BUNDLE, require_shared_data
from tests.dicom_factory import nih_image, write_dicom

LIMIT = 200


@pytest.fixture(scope="module")
def section():
    require_shared_data(SHARED_DATA / "nih-boxes")
    require_shared_data(SHARED_DATA / "cxr128")
    return measure_views(SHIPPED_BUNDLE, SHARED_DATA, limit=LIMIT, direction_films=100, bootstrap=50)


def test_the_films_of_known_view_are_the_boxed_and_nih1024_films():
    films = labelled_view_films(require_shared_data(SHARED_DATA / "nih-boxes").parent)
    assert len(films) == 108
    assert sum(f.view == "AP" for f in films) == 51 and sum(f.view == "PA" for f in films) == 57
    assert all(f.path.is_file() for f in films)
    # a boxed film matched to a thumbnail is taken as that thumbnail (the splits' own preparation)
    assert sum(f.path.parent.parent.name == "cxr128" for f in films) == 90


def test_the_estimator_is_measured_by_patient_grouped_cross_validation(section):
    est = section["estimator"]
    assert est["films"] == 108 and est["patients"] == 82
    assert est["films_per_view"] == {"PA": 57, "AP": 51}
    rates = [est["accuracy"], *est["accuracy_per_view"].values(), est["accuracy_cardiomegaly_free"]]
    assert all(0.0 <= r <= 1.0 for r in rates)
    assert est["accuracy"] > 0.6  # better than the 53 % of always answering PA
    assert est["accuracy_range"][0] <= est["accuracy"] <= est["accuracy_range"][1]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_per_view_figures_add_up_to_the_split(section, split):
    part, views = section[split], section[split]["views"]
    assert set(views) <= {"AP", "PA"}
    assert sum(v["films"] for v in views.values()) == part["films"] == pytest.approx(0.15 * LIMIT, abs=2)
    assert sum(v["positives"] for v in views.values()) + sum(v["negatives"] for v in views.values()) == part["films"]
    for v in views.values():
        assert v["true_positives"] <= v["positives"] and v["true_negatives"] <= v["negatives"]
        if v["positives"] and v["negatives"]:
            assert 0.0 <= v["auroc_ci95"][0] <= v["auroc"] <= v["auroc_ci95"][1] <= 1.0
            assert v["sensitivity"] == pytest.approx(v["true_positives"] / v["positives"])


def test_the_per_view_threshold_decision_gives_its_reason(section):
    decision = section["per_view_threshold"]
    assert isinstance(decision["adopted"], bool) and decision["reason"]
    lo, hi = decision["validation_cv_youden_gain_ci95"]
    assert lo <= decision["validation_cv_youden_gain"] <= hi


def test_the_section_renders_into_the_card(section):
    manifest = with_view_section(json.loads((SHIPPED_BUNDLE / "manifest.json").read_text()), section)
    card = "\n".join(refit_sections(manifest, {}))
    assert "## By view" in card and "Estimated view" in card
    ap = section["test"]["views"]["AP"]
    row = f"| test | AP | {ap['films']} | {ap['positives']} / {ap['negatives']} |"
    assert row in card
    assert "Not adopted" in card or "Adopted" in card
    # the known-view figures of the boxed films stay
    assert "Known view" in card and "| AP | 51 |" in card


def test_an_ap_dicom_gets_the_ap_operating_point_in_viewer_and_report(section, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(SHIPPED_BUNDLE, bundle)
    manifest = write_view_section(bundle, section)
    assert manifest["view_operating_points"]["AP"]["films"] == section["test"]["views"]["AP"]["films"]
    assert json.loads((SHIPPED_BUNDLE / "manifest.json").read_text()).get("signature")  # the original untouched
    predictor = Predictor(bundle, backend="onnx", device="cpu", anatomy=False)
    pixels = nih_image().astype(np.uint16) * 257
    ap_xray = load(write_dicom(tmp_path / "ap.dcm", pixels, view="AP"))
    ap = predictor.predict(ap_xray)
    pa = predictor.predict(load(write_dicom(tmp_path / "pa.dcm", pixels, view="PA")))
    figures = section["test"]["views"]["AP"]
    point = f"sensitivity {figures['sensitivity']:.2f}, specificity {figures['specificity']:.2f}"
    assert any(w.startswith("AP film: figures differ") and point in w for w in ap.warnings)
    assert "estimated AP" in ap.probability_note and point in ap.probability_note  # the viewer's tooltip
    report = " ".join(line.text for line in report_lines(ap_xray, ap))
    assert point in report
    assert not any("figures differ" in w for w in pa.warnings)


def test_a_view_operating_point_outside_0_1_is_refused(tiny_bundle, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["view_operating_points"] = {"AP": {"sensitivity": 1.5, "specificity": 0.7}}
    with pytest.raises(WeightsError, match=r"view_operating_points\['AP'\].sensitivity"):
        write_manifest(bundle, manifest)


def test_the_command_refuses_to_overwrite_its_output(tmp_path, capsys):
    out = tmp_path / "views.json"
    out.write_text("{}")
    code = main(["views", "--weights", str(SHIPPED_BUNDLE), "--shared", str(tmp_path), "--out", str(out)])
    assert code == 2 and "exists" in capsys.readouterr().err
    assert out.read_text() == "{}"

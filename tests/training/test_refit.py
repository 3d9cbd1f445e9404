"""``cardioview refit`` on a real (randomly initialised) bundle and real cxr128 / nih-boxes films."""

import csv
import json
import shutil

import pytest

from cardioview.inference.predictor import Predictor
from cardioview.model.bundle import load_bundle
from cardioview.training.cli import main
from tests.conftest import CXR128, SHARED_DATA, require_shared_data


@pytest.fixture()
def small_source(tmp_path):
    """200 cxr128 films (100 per class) as a labels.csv folder, and 12 boxed films with their boxes.csv."""
    require_shared_data(CXR128)
    require_shared_data(SHARED_DATA / "nih-boxes")
    rows = list(csv.DictReader(open(CXR128 / "labels.csv", newline="")))
    chosen = [r for r in rows if r["label"] == "1"][:100] + [r for r in rows if r["label"] == "0"][:100]
    data = tmp_path / "data"
    data.mkdir()
    (data / "labels.csv").write_text("path,label\n" + "".join(f"{CXR128 / r['path']},{r['label']}\n" for r in chosen))
    boxes = tmp_path / "boxes"
    (boxes / "images").mkdir(parents=True)
    box_rows = list(csv.DictReader(open(SHARED_DATA / "nih-boxes" / "boxes.csv", newline="")))[:12]
    with open(boxes / "boxes.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(box_rows[0]))
        writer.writeheader()
        for row in box_rows:
            shutil.copy(SHARED_DATA / "nih-boxes" / "images" / row["image"], boxes / "images" / row["image"])
            writer.writerow({**row, "cxr128_match": str(CXR128 / row["cxr128_match"]) if row["cxr128_match"] else ""})
    return data, boxes / "boxes.csv"


def test_refit_moves_a_version_1_bundle_to_version_2_with_a_fitted_map(tiny_bundle, small_source, tmp_path, capsys):
    data, boxes = small_source
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    assert load_bundle(bundle).preprocess.version == 1
    code = main(["refit", "--bundle", str(bundle), "--data", str(data), "--boxes", str(boxes), "--bootstrap", "50"])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["preprocessing"]["version"] == 2
    calibration = manifest["calibration"]
    assert calibration["recalibration"]["method"] in ("platt", "beta", "isotonic")
    assert set(calibration["compared"]) == {"platt", "beta", "isotonic"}
    evaluation = manifest["evaluation"]
    assert evaluation["pairs"]["films"] == sum(1 for r in csv.DictReader(open(boxes)) if r["cxr128_match"])
    assert set(evaluation["views_boxed_films"]) <= {"AP", "PA"}
    assert [r["prevalence"] for r in evaluation["prevalence_validation"]] == [0.025, 0.05, 0.2, 0.5]
    # the network files are untouched and the refitted bundle loads and predicts with its new steps
    assert manifest["files"] == json.loads((tiny_bundle / "manifest.json").read_text())["files"]
    predictor = Predictor(bundle, backend="onnx", device="cpu", anatomy=False)
    assert predictor.spec.version == 2 and predictor.threshold == pytest.approx(manifest["threshold"])

"""predict with the segmenter: ctr column, --masks-out files, the report's outlines; evaluate-anatomy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO_ROOT, SHARED_DATA, require_shared_data
from tests.helpers import csv_rows, run_cardioview

ANATOMY_BUNDLE = REPO_ROOT / "weights" / "cxr_anatomy"
SAMPLES = REPO_ROOT / "resources" / "samples"


@pytest.fixture(autouse=True)
def _needs_bundle():
    if not (ANATOMY_BUNDLE / "manifest.json").is_file():
        pytest.skip("weights/cxr_anatomy is not in this checkout")


def _cli(*args):
    return run_cardioview(*args, timeout=600)


def test_predict_writes_ctr_and_masks_at_the_input_size(tmp_path):
    sample = SAMPLES / "nih_00000001_000_cardiomegaly.png"
    r = _cli(
        "predict",
        sample,
        SAMPLES / "rg1_cr_chest_pa_monochrome1.dcm",
        "--out",
        tmp_path / "out",
        "--masks-out",
        tmp_path / "masks",
        "--no-report",
    )
    assert r.returncode == 0, r.stderr
    rows = csv_rows(tmp_path / "out" / "results.csv")
    assert "ctr" in rows[0]
    assert 0.4 < float(rows[0]["ctr"]) < 0.75
    assert rows[0]["ctr_source"] == "automatic"
    heart = np.asarray(Image.open(tmp_path / "masks" / f"{sample.stem}_heart.png"))
    lungs = np.asarray(Image.open(tmp_path / "masks" / f"{sample.stem}_lungs.png"))
    assert heart.shape == lungs.shape == np.asarray(Image.open(sample)).shape[:2]
    assert set(np.unique(heart)) == {0, 255} and set(np.unique(lungs)) == {0, 255}
    assert 0.02 < (heart > 0).mean() < 0.3 and (lungs > 0).mean() > (heart > 0).mean()
    # no overwrite: a second run writes _1 files beside the first
    r = _cli("predict", sample, "--out", tmp_path / "out", "--masks-out", tmp_path / "masks", "--no-report")
    assert (tmp_path / "masks" / f"{sample.stem}_heart_1.png").is_file()


def test_report_draws_outlines_and_names_the_ctr_source():
    from cardioview.imaging import load
    from cardioview.inference.predictor import Predictor
    from cardioview.render.report import build_report
    from cardioview.render.report_content import report_lines

    predictor = Predictor()
    assert predictor.anatomy is not None
    xray = load(SAMPLES / "nih_00000001_000_cardiomegaly.png")
    prediction = predictor.predict(xray)
    texts = [line.text for line in report_lines(xray, prediction, ctr=prediction.anatomy.measurement)]
    automatic = f"CTR {prediction.anatomy.ctr:.2f} (automatic, from heart and lung segmentation)"
    assert any(t.startswith(automatic) for t in texts)
    with_outlines = build_report(xray, prediction).image
    plain = build_report(xray, Predictor(anatomy=False).predict(xray)).image
    red = lambda im: ((im[..., 0] > 230) & (im[..., 1] < 110) & (im[..., 2] < 110)).sum()  # noqa: E731
    assert red(with_outlines) > red(plain) + 200


def test_evaluate_anatomy_on_real_masks_and_nih_boxes(tmp_path):
    data = require_shared_data(SHARED_DATA / "heart-lung")
    boxes = require_shared_data(SHARED_DATA / "nih-boxes")
    small = tmp_path / "boxes.csv"
    lines = (boxes / "boxes.csv").read_text().splitlines()[:4]
    (tmp_path / "images").symlink_to(boxes / "images")
    small.write_text("\n".join(lines) + "\n")
    split = tmp_path / "split.json"
    from cardioview.training.anatomy.data import scan

    keys = [it.key for it in scan(data) if it.ctr is not None][:5]
    split.write_text(json.dumps({"train": [], "val": [], "test": keys}))
    r = _cli("evaluate-anatomy", "--data", data, "--split", split, "--boxes", small, "--out", tmp_path / "eval")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert m["segmentation"]["heart_dice"]["n"] == 5 and m["segmentation"]["lungs_dice"]["mean"] > 0.85
    assert m["segmentation"]["gt_mask_ctr_vs_keypoint"]["mae"] < 0.01
    # the heart box must match the radiologist box on these real NIH films (about 0.7-0.85 each), measured in
    # 1024 px units whatever size the masks are kept at
    assert m["boxes"]["n"] == 3 and m["boxes"]["heart_box_iou"]["mean"] > 0.6
    assert (tmp_path / "eval" / "bland_altman.png").is_file() and (tmp_path / "eval" / "failure_cases.png").is_file()

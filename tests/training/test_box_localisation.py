"""Box localisation scored as Wang et al. 2017, on constructed maps and the real NIH boxes."""

import numpy as np
import pytest

from cardioview.training.evaluation.box_localisation import (
    box_iobb,
    box_iou,
    central_blob,
    largest_region_box,
    localisation_figures,
    read_box_table,
    score_map,
)
from tests.conftest import SHARED_DATA, require_shared_data


def test_iou_and_iobb_of_nested_boxes():
    truth, inner = (0, 0, 100, 100), (25, 25, 75, 75)
    assert box_iou(inner, truth) == pytest.approx(0.25)
    assert box_iobb(inner, truth) == 1.0  # a detection inside the truth is "accurate" by IoBB
    assert box_iou((200, 200, 300, 300), truth) == 0.0


def test_largest_region_box_ignores_a_smaller_blob():
    up = np.zeros((100, 100), np.float32)
    up[10:20, 10:20] = 1.0  # small, brightest
    up[50:90, 40:80] = 0.8  # large
    assert largest_region_box(up, 60) == (40, 50, 80, 90)
    assert largest_region_box(np.zeros((10, 10)), 60) is None  # a flat map detects nothing


def test_a_map_on_its_box_scores_perfectly_and_a_map_elsewhere_scores_zero():
    truth = (40, 50, 80, 90)
    on = np.zeros((100, 100), np.float32)
    on[50:90, 40:80] = 1.0
    assert score_map(on, truth) == {
        "pointing": True,
        "iou_t60": 1.0,
        "iobb_t60": 1.0,
        "iou_t180": 1.0,
        "iobb_t180": 1.0,
    }
    off = np.zeros((100, 100), np.float32)
    off[0:20, 0:20] = 1.0
    s = score_map(off, truth)
    assert not s["pointing"] and s["iou_t60"] == 0.0


def test_both_box_table_layouts_read_from_the_real_files():
    require_shared_data(SHARED_DATA / "nih-boxes")
    require_shared_data(SHARED_DATA / "nih-metadata")
    nih = read_box_table(SHARED_DATA / "nih-metadata" / "BBox_List_2017.csv")
    films = read_box_table(SHARED_DATA / "nih-boxes" / "boxes.csv")
    assert len(nih) == 146 and all(r.path is None for r in nih)
    assert len(films) == 96 and all(r.path is not None and r.path.is_file() for r in films)
    assert {r.view for r in films} == {"AP", "PA"}
    # the boxed films' boxes are NIH's own
    by_name = {r.image: r.box for r in nih}
    shared = [r for r in films if r.image in by_name]
    assert len(shared) >= 90
    for r in shared:
        np.testing.assert_allclose(r.box, by_name[r.image], atol=0.1)


def test_central_blob_is_the_strong_prior_on_the_real_boxes():
    """The baseline every attention map is measured against: near-perfect pointing, mean IoU ~0.6."""
    require_shared_data(SHARED_DATA / "nih-boxes")
    films = read_box_table(SHARED_DATA / "nih-boxes" / "boxes.csv")
    flat = np.zeros((8, 8), np.float32)
    r = localisation_figures([(flat, (1024, 1024), f.box) for f in films])
    assert r["model"]["t60"]["mean_iou"] == 0.0  # a flat map localises nothing
    blob = r["central_blob"]
    assert blob["pointing_rate"] > 0.95
    assert 0.55 < blob["t60"]["mean_iou"] < 0.7
    assert central_blob((64, 64)).argmax() != 0


def test_read_box_table_refuses_other_csvs(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("path,label\na.png,1\n")
    with pytest.raises(ValueError, match="not a box table"):
        read_box_table(p)

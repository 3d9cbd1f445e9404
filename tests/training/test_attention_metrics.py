"""Attention figures on constructed maps, and the cardiac region against the real NIH boxes."""

import numpy as np
import pytest

from cardioview.training.attention_metrics import (
    CARDIAC_REGION, mass_ratio, points_inside, region_mask, relative_spread, top_mask,
)
from cardioview.training.box_localisation import read_box_table
from tests.conftest import SHARED_DATA, require_shared_data


def test_flat_map_has_no_spread_and_no_preference():
    flat = np.full((7, 7), 0.9, np.float32)
    assert relative_spread(flat) == 0.0
    mask = region_mask((224, 224))
    assert mass_ratio(np.full((224, 224), 0.3), mask) == pytest.approx(1.0)


def test_map_peaked_in_the_region_scores_high():
    mask = region_mask((224, 224))
    up = np.where(mask, 1.0, 0.01)
    assert points_inside(up, mask)
    assert mass_ratio(up, mask) > 4
    assert relative_spread(np.where(region_mask((7, 7)), 0.5, 0.05)) > 0.8


def test_top_mask_takes_the_share_of_highest_pixels():
    up = np.arange(100, dtype=float).reshape(10, 10)
    mask = top_mask(up, 0.2)
    assert mask.sum() == 20 and mask[8:].all() and not mask[:8].any()


def test_cardiac_region_is_the_median_nih_cardiomegaly_box():
    require_shared_data(SHARED_DATA / "nih-metadata")
    boxes = read_box_table(SHARED_DATA / "nih-metadata" / "BBox_List_2017.csv")
    assert len(boxes) == 146
    b = np.array([r.box for r in boxes]) / 1024.0
    median = np.median(np.c_[b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], axis=0)
    np.testing.assert_allclose(median, CARDIAC_REGION, atol=0.01)

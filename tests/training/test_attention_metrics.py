"""Attention figures on constructed maps, and the cardiac region against the real NIH boxes."""

import numpy as np
import pytest

from cardioview.training.evaluation.attention_metrics import (
    CARDIAC_REGION,
    mass_ratio,
    points_inside,
    region_mask,
    relative_spread,
    top_mask,
)
from cardioview.training.evaluation.box_localisation import read_box_table
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


def test_deletion_test_credits_the_map_on_what_the_score_reads_at_every_share():
    """A score that reads only the cardiac region's brightness: the map on that region passes, one off it fails."""
    from cardioview.training.classifier.data import read_gray, read_labels_csv
    from cardioview.training.evaluation.attention_metrics import OTHER_DELETION_SHARES, attention_figures, region_mask
    from tests.conftest import CXR128, require_shared_data

    require_shared_data(CXR128)
    samples = [s for s in read_labels_csv(CXR128 / "labels.csv") if s.label == 1][:6]
    grays = [read_gray(s.path).astype(np.float32) / 255.0 for s in samples]
    region = region_mask(grays[0].shape)

    def bright_heart(batch):  # brighter (denser) cardiac region -> higher P; nothing else matters
        return np.array([float(g[region].mean()) for g in batch])

    yy, xx = np.mgrid[0:8, 0:8].astype(np.float32)

    def blob(cy, cx):  # smooth, so the top-area masks have no ties at any share
        return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 3.0)

    on = blob(4.5, 4.5)  # the centre of CARDIAC_REGION on the 8x8 grid
    off = blob(0.5, 0.5)  # the top-left corner
    good = attention_figures(grays, np.stack([on] * 6), bright_heart)
    bad = attention_figures(grays, np.stack([off] * 6), bright_heart)
    assert good["faithfulness_rate"] == 1.0 and bad["faithfulness_rate"] < 0.5
    assert set(good["faithfulness_by_share"]) == {f"{s:.2f}" for s in OTHER_DELETION_SHARES}
    assert all(v == 1.0 for v in good["faithfulness_by_share"].values())
    assert good["pointing_rate"] == 1.0 and bad["pointing_rate"] == 0.0


def test_blurred_deletion_credits_a_map_on_the_edges_the_score_reads():
    """A score that reads only the cardiac region's edges: blurring under a map there lowers it, off it does not."""
    from cardioview.training.classifier.data import read_gray, read_labels_csv
    from cardioview.training.evaluation.attention_metrics import attention_figures, blurred, region_mask
    from tests.conftest import CXR128, require_shared_data

    require_shared_data(CXR128)
    samples = [s for s in read_labels_csv(CXR128 / "labels.csv") if s.label == 1][:6]
    grays = [read_gray(s.path).astype(np.float32) / 255.0 for s in samples]
    region = region_mask(grays[0].shape)
    g = grays[0]
    assert blurred(g).shape == g.shape and abs(float(blurred(g).mean() - g.mean())) < 0.01  # brightness kept
    assert np.abs(np.diff(blurred(g), axis=1)).mean() < 0.5 * np.abs(np.diff(g, axis=1)).mean()  # edges gone

    def heart_edges(batch):  # sharper cardiac region -> higher P; its brightness does not matter
        return np.array([float(np.abs(np.diff(x, axis=1))[region[:, 1:]].mean()) for x in batch])

    yy, xx = np.mgrid[0:8, 0:8].astype(np.float32)
    on = np.exp(-((yy - 4.5) ** 2 + (xx - 4.5) ** 2) / 3.0)
    off = np.exp(-((yy - 0.5) ** 2 + (xx - 0.5) ** 2) / 3.0)
    good = attention_figures(grays, np.stack([on] * 6), heart_edges)
    bad = attention_figures(grays, np.stack([off] * 6), heart_edges)
    assert good["faithfulness_blurred"] == 1.0 and bad["faithfulness_blurred"] < 0.5
    assert good["probability_drop_top20_blurred"]["median"] > good["probability_drop_random_blurred"]["median"]

"""The anatomy path on real data: CTR from masks, quality check, components, segmenter bundle, runner."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import cv2
import numpy as np
import pytest

from cardioview.anatomy import CardiothoracicRatio, assess, measure_ctr
from cardioview.anatomy.components import label, largest_component
from cardioview.anatomy.quality import AP_WARNING, REASON_LATERAL, REASON_LUNGS
from cardioview.errors import WeightsError
from tests.conftest import REPO_ROOT, SHARED_DATA, require_shared_data

HEART_LUNG = SHARED_DATA / "heart-lung"
ANATOMY_BUNDLE = REPO_ROOT / "weights" / "cxr_anatomy"
SAMPLE = REPO_ROOT / "resources" / "samples" / "nih_00000001_000_cardiomegaly.png"


def _wingspan_items():
    from cardioview.training.anatomy.data import scan

    require_shared_data(HEART_LUNG)
    return [it for it in scan(HEART_LUNG) if it.ctr is not None]


def _gt_masks(item):
    from cardioview.training.anatomy.data import load_mask

    return [load_mask(m) for m in item.masks]


def test_ctr_from_ground_truth_masks_reproduces_the_key_point_ctr():
    items = _wingspan_items()
    assert len(items) == 131
    errors = [measure_ctr(*_gt_masks(it)).ratio - it.ctr for it in items]
    assert np.mean(np.abs(errors)) < 0.003
    # the strict one-row thorax is a worse match: the key points are the outermost points
    strict = [measure_ctr(*_gt_masks(it), thorax_per_row=True).ratio - it.ctr for it in items[:30]]
    assert np.mean(np.abs(strict)) > np.mean(np.abs(errors[:30]))


def test_measurement_positions_are_where_the_masks_end():
    heart, right, left = _gt_masks(_wingspan_items()[0])
    m = measure_ctr(heart, right, left)
    xs = np.nonzero(heart)[1]
    assert (m.heart.x0, m.heart.x1) == (xs.min(), xs.max() + 1)
    assert heart[int(m.heart.y)].any() and right[int(m.thorax.y)].any() and left[int(m.thorax.y)].any()
    assert m.thorax.x0 == np.nonzero(right)[1].min() and m.thorax.x1 == np.nonzero(left)[1].max() + 1
    assert 0 < m.heart.x0 < m.heart.x1 < m.thorax.x1


def test_components_match_opencv_on_a_real_mask_with_extra_blobs():
    heart, right, left = _gt_masks(_wingspan_items()[1])
    mask = right | left
    mask[5:9, 5:9] = True  # a speck in the corner
    n_cv, _ = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    labels, n = label(mask)
    assert n == n_cv - 1 == 3
    big, share = largest_component(mask)
    assert big.sum() == max(right.sum(), left.sum()) and 0.3 < share < 0.7


def test_quality_check_on_real_masks():
    heart, right, left = _gt_masks(_wingspan_items()[2])
    ok = assess(heart, right, left, view="PA")
    assert ok.passed and ok.ctr == pytest.approx(measure_ctr(heart, right, left).ratio) and "(automatic)" in ok.label()
    assert assess(heart, right, left, view="LL").ctr is None
    assert assess(heart, right, left, view="LL").reason == REASON_LATERAL
    no_lungs = assess(heart, np.zeros_like(right), left)
    assert no_lungs.ctr is None and no_lungs.reason == REASON_LUNGS and "lungs not found" in no_lungs.label()
    # lungs swapped: the "right lung" mask lies on the image's right, the heart is not between them in order
    mirrored = assess(heart, left, right)
    assert mirrored.ctr is None and mirrored.reason.startswith("not a frontal chest film")
    ap = assess(heart, right, left, view="AP")
    assert ap.ctr is not None and ap.warnings == (AP_WARNING,)
    m = ok.measurement
    adjusted = ok.with_measurement(CardiothoracicRatio.from_calipers(replace(m.heart, x1=m.heart.x1 + 10), m.thorax))
    assert adjusted.label().endswith("(adjusted)") and adjusted.ctr > ok.ctr


def _runner():
    if not (ANATOMY_BUNDLE / "manifest.json").is_file():
        pytest.skip("weights/cxr_anatomy is not in this checkout")
    from cardioview.inference.anatomy_runner import AnatomyRunner

    return AnatomyRunner(ANATOMY_BUNDLE)


def test_segmenter_on_a_real_nih_film_gives_masks_at_its_size_and_a_ctr():
    from cardioview.imaging import load

    runner = _runner()
    xray = load(SAMPLE)
    res = runner.segment(xray)
    assert res.shape == xray.shape and res.at_image_size(res.heart).shape == xray.shape
    assert res.passed, res.reason
    assert 0.4 < res.ctr < 0.75  # a cardiomegaly film: large heart, but a plausible CTR
    m = res.measurement
    assert m.thorax.x0 < m.heart.x0 < m.heart.x1 < m.thorax.x1
    lateral = runner.segment(replace(xray, metadata=replace(xray.metadata, view_position="LL")))
    assert lateral.ctr is None and lateral.reason == REASON_LATERAL


def test_ctr_measured_on_the_network_grid_matches_the_full_size_measurement():
    """The runner measures on the network's output masks: its calipers match full-size masks of a 1024 px film."""
    from cardioview.anatomy import assess
    from cardioview.imaging import load

    runner = _runner()
    sample = load(SAMPLE)
    xray = replace(sample, pixels=np.repeat(np.repeat(sample.pixels, 2, axis=0), 2, axis=1))  # a 1024 px film
    res = runner.segment(xray)
    grid = (runner.spec.input_size, runner.spec.input_size)
    assert res.heart.shape == grid and res.image_shape == xray.shape
    (heart, right, left), shares = runner.masks(xray.pixels, with_shares=True)
    full = assess(heart, right, left, shares=shares)
    # one grid pixel is 8 film pixels here; against the key points both are equally accurate (card: MAE 0.0142 vs
    # 0.0151)
    assert res.ctr == pytest.approx(full.ctr, abs=0.01)
    px = xray.shape[1] / grid[1]  # one network pixel in film pixels
    for caliper in ("heart", "thorax"):
        for end in ("x0", "x1"):
            ours = getattr(getattr(res.measurement, caliper), end)
            theirs = getattr(getattr(full.measurement, caliper), end)
            assert ours == pytest.approx(theirs, abs=1.5 * px), (caliper, end)
    assert abs(res.measurement.heart.y - full.measurement.heart.y) < 0.03 * xray.shape[0]
    assert res.at_image_size(res.heart).shape == xray.shape


def test_segmenter_dice_on_real_jsrt_films_it_did_not_train_on():
    runner = _runner()
    require_shared_data(HEART_LUNG)
    from cardioview.training.anatomy.data import load_image, scan
    from cardioview.training.anatomy.metrics import dice

    manifest = json.loads((ANATOMY_BUNDLE / "manifest.json").read_text())
    assert manifest["format"] == "cardioview-anatomy-bundle/1"
    split = manifest.get("training", {}).get("test_images")
    items = [it for it in scan(HEART_LUNG) if it.source == "jsrt" and (split is None or it.key in split)][:4]
    for it in items:
        heart, right, left = runner.masks(load_image(it.image))
        t = _gt_masks(it)
        assert dice(heart, t[0]) > 0.8 and dice(right | left, t[1] | t[2]) > 0.9


def test_segmenter_bundle_refuses_a_tampered_onnx(tmp_path):
    _runner()
    from cardioview.inference.anatomy_runner import AnatomyRunner
    from cardioview.model.anatomy_bundle import load_anatomy_bundle

    copy = tmp_path / "cxr_anatomy"
    shutil.copytree(ANATOMY_BUNDLE, copy)
    data = bytearray((copy / "model.onnx").read_bytes())
    data[-100] ^= 0xFF
    (copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="hash"):
        AnatomyRunner(copy)
    with pytest.raises(WeightsError, match="not a segmenter bundle"):
        load_anatomy_bundle(REPO_ROOT / "weights" / "cxa_dense121")


def test_bundle_size_keeps_weights_within_budget():
    _runner()
    anatomy = sum(p.stat().st_size for p in ANATOMY_BUNDLE.iterdir())
    total = sum(p.stat().st_size for p in (REPO_ROOT / "weights").rglob("*") if p.is_file())
    assert anatomy <= 10.5e6 and total <= 60e6


def test_anatomy_viewer_path_imports_without_qt_torch_or_opencv():
    from tests.test_boundaries import _probe

    result = _probe(
        ("PySide6", "shiboken6", "pyqtgraph", "torch", "torchvision", "cv2", "sklearn", "scipy"),
        """
import cardioview.anatomy, cardioview.anatomy.components, cardioview.anatomy_cli
import cardioview.inference.anatomy_runner, cardioview.model.anatomy_bundle, cardioview.render.anatomy_overlay
print("ok")
""",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_quality_check_passes_the_ground_truth_masks():
    from cardioview.training.anatomy.data import scan

    require_shared_data(HEART_LUNG)
    items = scan(HEART_LUNG)[::4]
    refused = [it.key for it in items if not assess(*_gt_masks(it)).passed]
    assert len(refused) <= 1, refused


def test_quality_check_refuses_a_lung_outline_away_from_the_heart():
    heart, right, left = _gt_masks(_wingspan_items()[3])
    moved = np.zeros_like(left)
    cols = np.nonzero(left.any(axis=0))[0]
    shift = left.shape[1] - 1 - cols.max()
    small = left.copy()
    small[: left.shape[0] // 2] = False  # a small blob at the film's edge, as an arm segmented as lung
    moved[:, shift:] = small[:, : left.shape[1] - shift]
    moved[:, : int(np.nonzero(heart.any(axis=0))[0].max()) + 40] = False
    res = assess(heart, right, moved)
    assert res.ctr is None and res.reason.startswith("lungs not found")


def test_ctr_source_compares_the_calipers_not_the_ratio():
    """anatomy.ctr_source, the one rule of panel, report, SR and results.csv, on a real film's masks."""
    from cardioview.anatomy.cardiothoracic_ratio import Caliper
    from cardioview.anatomy.ctr_source import ctr_source

    anatomy = assess(*_gt_masks(_wingspan_items()[0]))
    auto = anatomy.measurement
    assert anatomy.ctr is not None
    assert ctr_source(auto, anatomy) == "automatic"
    assert ctr_source(CardiothoracicRatio.from_calipers(auto.heart, auto.thorax), anatomy) == "automatic"
    down = [replace(c, y=c.y + 12) for c in (auto.heart, auto.thorax)]  # both lines moved down: same ratio
    lowered = CardiothoracicRatio.from_calipers(*down)
    assert lowered.ratio == pytest.approx(auto.ratio, abs=1e-12)
    assert ctr_source(lowered, anatomy) == "adjusted"
    wider = Caliper(auto.heart.x0 - 5, auto.heart.x1, auto.heart.y)
    assert ctr_source(CardiothoracicRatio.from_calipers(wider, auto.thorax), anatomy) == "adjusted"
    assert ctr_source(CardiothoracicRatio(auto.ratio), anatomy) == "adjusted"  # a bare figure: not its calipers
    assert ctr_source(None, anatomy) == ""
    failed = replace(anatomy, passed=False, reason="lungs not found")
    assert ctr_source(auto, failed) == "reader" and ctr_source(auto, None) == "reader"

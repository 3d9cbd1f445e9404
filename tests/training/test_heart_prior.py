"""Anatomy-guided attention: the segmenter's heart on real cxr128 films, stored once, and its loss term."""

import numpy as np
import pytest
import torch

from cardioview.training.classifier.data import read_labels_csv
from cardioview.training.classifier.heart_prior import (
    HEART_MASKS,
    anatomy_loss,
    attention_target,
    load_or_compute_heart_masks,
)
from tests.conftest import CXR128, REPO_ROOT, require_shared_data

ANATOMY = REPO_ROOT / "weights" / "cxr_anatomy"


@pytest.fixture(scope="module")
def samples():
    require_shared_data(CXR128)
    if not ANATOMY.is_dir():
        pytest.skip("the shipped segmenter weights/cxr_anatomy is absent")
    return read_labels_csv(CXR128 / "labels.csv")[:6]


def test_heart_masks_sit_in_the_lower_middle_of_each_film_and_are_reused(samples, tmp_path):
    logs = []
    masks = load_or_compute_heart_masks(tmp_path, samples, 64, log=logs.append)
    assert masks.shape == (6, 64, 64) and masks.dtype == torch.uint8
    for m in masks.numpy() > 0:
        ys, xs = np.nonzero(m)
        share = m.mean()
        assert 0.02 < share < 0.35, share  # a heart (2.5-14 % of the JSRT/Wingspan films), not the film or a speck
        assert 0.3 < xs.mean() / 64 < 0.7 and 0.4 < ys.mean() / 64 < 0.8  # central, below the film's middle
    assert (tmp_path / HEART_MASKS).is_file() and "segmenting 6" in logs[0]
    again = load_or_compute_heart_masks(tmp_path, samples, 64, log=logs.append)
    assert torch.equal(again, masks) and "from heart_masks.safetensors" in logs[-1]
    # another image list (or size) does not reuse the stored stack
    other = load_or_compute_heart_masks(tmp_path, samples[:5], 64, log=logs.append)
    assert other.shape[0] == 5 and "segmenting 5" in logs[-1]


def test_anatomy_loss_prefers_a_map_on_the_heart():
    heart = torch.zeros(1, 1, 64, 64)
    heart[..., 32:56, 24:48] = 1.0
    target = attention_target(heart, (8, 8))
    assert target.shape == (1, 1, 8, 8) and float(target[0, 0, 5, 4]) == 1.0 and float(target[0, 0, 0, 0]) == 0.0
    on = target.clamp(0.05, 0.95)
    off = torch.flip(on, dims=[-2])  # the same map moved to the top of the film
    assert anatomy_loss(on, heart) < anatomy_loss(off, heart)


def test_gap_head_guides_its_cam_on_positive_films_only():
    from pathlib import Path

    from cardioview.training.classifier.config import TrainConfig
    from cardioview.training.classifier.loss import loss_terms

    heart = torch.zeros(2, 1, 64, 64)
    heart[..., 32:56, 24:48] = 1.0
    cam = torch.full((2, 1, 8, 8), 0.3)
    logit, weight = torch.zeros(2, 1), torch.ones(2)
    gap = TrainConfig(data=Path("."), out=Path("."), head="gap", attention_penalty=0.0, attention_anatomy=2.0)
    negatives = torch.zeros(2)
    bce, total = loss_terms(logit, cam, negatives, weight, gap, heart)
    assert total.item() == pytest.approx(bce.item())  # a negative film's CAM is its logit: left alone
    mixed = torch.tensor([1.0, 0.0])
    bce, total = loss_terms(logit, cam, mixed, weight, gap, heart)
    assert total.item() == pytest.approx((bce + 2.0 * anatomy_loss(cam[:1], heart[:1])).item(), rel=1e-6)
    amm = TrainConfig(data=Path("."), out=Path("."), attention_penalty=0.0, attention_anatomy=2.0)
    bce, total = loss_terms(logit, cam, negatives, weight, amm, heart)  # the AMM's W is guided on every film
    assert total.item() == pytest.approx((bce + 2.0 * anatomy_loss(cam, heart)).item(), rel=1e-6)

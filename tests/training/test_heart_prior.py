"""Anatomy-guided attention: the segmenter's heart on real cxr128 films, stored once, and its loss term."""

import numpy as np
import pytest
import torch

from cardioview.training.data import read_labels_csv
from cardioview.training.heart_prior import (
    HEART_MASKS, anatomy_loss, attention_target, load_or_compute_heart_masks)
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

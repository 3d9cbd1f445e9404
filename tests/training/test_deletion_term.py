"""The counterfactual deletion term on a real cxr128 film: the test's masks and fill, and its targets."""

import numpy as np
import pytest
import torch

from cardioview.training.classifier.data import read_gray, read_labels_csv
from cardioview.training.classifier.deletion_term import (
    delete_area,
    deletion_loss,
    deletion_pairs,
    rolled_masks,
    top_area_masks,
)
from cardioview.training.evaluation.attention_metrics import DELETION_SHARE, top_mask, upsample
from tests.conftest import CXR128, require_shared_data


@pytest.fixture(scope="module")
def films():
    require_shared_data(CXR128)
    samples = read_labels_csv(CXR128 / "labels.csv")[:4]
    gray = np.stack([read_gray(s.path) for s in samples]).astype(np.float32) / 255.0
    return torch.from_numpy(gray).unsqueeze(1), torch.tensor([float(s.label) for s in samples])


def _blob_maps(n: int, cy: int, cx: int) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    w = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 4.0)
    return w.expand(n, 1, 8, 8).clone()


def test_top_area_is_the_tests_top_twenty_percent(films):
    gray, _ = films
    maps = _blob_maps(gray.shape[0], 5, 3)
    masks = top_area_masks(maps, gray.shape[-1])
    assert masks.shape == gray.shape and masks.dtype == torch.bool
    assert masks.flatten(1).float().mean(1).allclose(torch.full((gray.shape[0],), DELETION_SHARE), atol=1e-3)
    # the same pixels, up to interpolation ties, as the deletion test's mask from the viewer's upsampling
    reference = top_mask(upsample(maps[0, 0].numpy(), gray.shape[-2:]))
    assert (masks[0, 0].numpy() == reference).mean() > 0.98
    ys, xs = np.nonzero(masks[0, 0].numpy())
    side = gray.shape[-1]
    assert abs(ys.mean() / side - 5.5 / 8) < 0.08 and abs(xs.mean() / side - 3.5 / 8) < 0.08


def test_deleting_sets_the_area_to_the_film_mean_and_leaves_the_rest(films):
    gray, _ = films
    masks = top_area_masks(_blob_maps(gray.shape[0], 4, 4), gray.shape[-1])
    out = delete_area(gray, masks)
    for i in range(gray.shape[0]):
        mean = gray[i].mean()
        assert torch.allclose(out[i][masks[i]], mean.expand(int(masks[i].sum())))
        assert torch.equal(out[i][~masks[i]], gray[i][~masks[i]])
    moved = rolled_masks(masks, torch.Generator().manual_seed(1))
    assert torch.equal(moved.flatten(1).sum(1), masks.flatten(1).sum(1))  # same shape, elsewhere
    assert not torch.equal(moved, masks)


def test_pairs_ask_positives_to_lose_the_finding_only_when_the_attended_area_goes(films):
    gray, _ = films
    maps = _blob_maps(gray.shape[0], 5, 3)
    target = torch.tensor([1.0, 0.0, 1.0, 1.0])
    inputs, targets, weights = deletion_pairs(gray, maps, target, torch.Generator().manual_seed(0), max_positives=2)
    assert inputs.shape == (4, 1) + gray.shape[-2:]
    assert targets.tolist() == [0.0, 0.0, 1.0, 1.0] and weights.tolist() == [1.0] * 4
    top = top_area_masks(maps[:1], gray.shape[-1])[0]
    assert torch.equal(inputs[0][top], gray[0].mean().expand(int(top.sum())))  # film 0, the first positive
    assert torch.equal(inputs[1][~top], gray[2][~top])  # film 2, the second; film 1 is negative
    # a batch without positives: one pair of zero weight, so every DDP process runs the same passes
    _, _, none = deletion_pairs(gray, maps, torch.zeros(4), torch.Generator().manual_seed(0), max_positives=2)
    assert none.tolist() == [0.0, 0.0]
    logit = torch.tensor([3.0, -3.0])
    assert float(deletion_loss(logit, torch.tensor([0.0, 1.0]), none)) == 0.0
    good = deletion_loss(torch.tensor([-3.0, -3.0, 3.0, 3.0]), targets, weights)
    bad = deletion_loss(torch.tensor([3.0, 3.0, 3.0, 3.0]), targets, weights)  # P unmoved by the deletion
    assert good < 0.1 < bad

"""Near-duplicate grouping and group-preserving stratified splits."""

from pathlib import Path

import numpy as np
import torch

from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.training.classifier.data import Sample, prepare_images, read_labels_csv
from cardioview.training.classifier.grouped_split import (
    group_stats,
    near_duplicate_groups,
    patient_split,
    stratified_group_split,
    with_groups,
)
from tests.conftest import CXR128, require_shared_data


def test_noisy_copies_join_one_group_and_strangers_stay_apart():
    rng = np.random.default_rng(0)
    base = [rng.random((64, 64)) for _ in range(5)]
    images = [b for b in base] + [
        np.clip(base[0] + rng.normal(0, 0.02, (64, 64)), 0, 1),
        np.clip(base[0] * 0.9 + 0.05, 0, 1),
    ]  # a re-take and a darker copy of image 0
    groups = near_duplicate_groups(torch.tensor(np.stack(images), dtype=torch.float32))
    assert groups[0] == groups[5] == groups[6]
    assert len(set(groups[:5])) == 5
    assert group_stats(groups) == {
        "images": 7,
        "groups": 5,
        "multi_image_groups": 1,
        "images_in_multi_groups": 3,
        "largest_group": 3,
    }


def _samples(n_groups=60, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for g in range(n_groups):
        label = g % 2
        for _ in range(int(rng.integers(1, 4))):
            out.append(Sample(Path(f"{g}_{len(out)}.png"), label, f"g{g}"))
    return out


def test_split_keeps_groups_whole_and_stratifies():
    samples = _samples()
    parts = stratified_group_split(samples, (0.7, 0.15, 0.15), seed=3)
    assert sorted(i for p in parts for i in p) == list(range(len(samples)))
    side = {}
    for k, p in enumerate(parts):
        for i in p:
            assert side.setdefault(samples[i].group, k) == k  # a group never straddles parts
    for k, frac in enumerate((0.7, 0.15, 0.15)):
        labels = [samples[i].label for i in parts[k]]
        assert abs(len(labels) / len(samples) - frac) < 0.08
        assert abs(np.mean(labels) - 0.5) < 0.15


def test_split_is_reproducible_and_seed_dependent():
    samples = _samples()
    assert stratified_group_split(samples, (0.8, 0.2), 1) == stratified_group_split(samples, (0.8, 0.2), 1)
    assert stratified_group_split(samples, (0.8, 0.2), 1) != stratified_group_split(samples, (0.8, 0.2), 2)


def test_patient_split_is_patient_disjoint():
    samples = _samples()
    rest, held = patient_split(samples, 0.1, seed=0)
    assert {samples[i].group for i in rest}.isdisjoint({samples[i].group for i in held})
    assert len({samples[i].group for i in held}) == 6


def test_real_cxr128_groups_stay_on_one_side():
    root = require_shared_data(CXR128)
    samples = read_labels_csv(root / "labels.csv")[::10]  # every 10th image: fast, both labels
    thumbs = prepare_images(samples, PreprocessSpec(64), 64)
    groups = near_duplicate_groups(thumbs, threshold=0.9)  # looser, so this subset has real multi-image groups
    assert group_stats(groups)["multi_image_groups"] > 0
    samples = with_groups(samples, groups)
    parts = stratified_group_split(samples, (0.7, 0.15, 0.15), seed=0)
    sides = [{samples[i].group for i in p} for p in parts]
    assert sides[0].isdisjoint(sides[1]) and sides[0].isdisjoint(sides[2]) and sides[1].isdisjoint(sides[2])

"""The optional attention loss terms: their values on known maps, scale-freeness, gradients, and their wiring."""

import math
from pathlib import Path

import pytest
import torch

from cardioview.training.classifier.attention_terms import spatial_entropy, total_variation
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.loss import loss_terms


def _maps():
    flat = torch.full((1, 1, 7, 7), 0.3)
    peak = torch.full((1, 1, 7, 7), 1e-4)
    peak[0, 0, 3, 3] = 0.9
    checker = (torch.arange(49).view(1, 1, 7, 7) % 2).float() * 0.8 + 0.1
    return flat, peak, checker


def test_entropy_is_one_for_a_flat_map_and_near_zero_for_a_single_peak():
    flat, peak, checker = _maps()
    assert spatial_entropy(flat).item() == pytest.approx(1.0, abs=1e-4)
    assert spatial_entropy(peak).item() < 0.05
    assert 0.5 < spatial_entropy(checker).item() < 1.0


def test_total_variation_is_zero_for_a_flat_map_and_large_for_speckle():
    flat, peak, checker = _maps()
    blob = torch.exp(
        -((torch.arange(7.0) - 3) ** 2).view(1, 1, 7, 1) / 4 - ((torch.arange(7.0) - 3) ** 2).view(1, 1, 1, 7) / 4
    )
    assert total_variation(flat).item() == pytest.approx(0.0, abs=1e-6)
    assert total_variation(checker).item() > 2 * total_variation(blob).item() > 0


def test_both_terms_are_scale_free_and_differentiable():
    w = torch.rand(2, 1, 7, 7) * 0.5 + 0.01
    for term in (spatial_entropy, total_variation):
        assert term(w).item() == pytest.approx(term(w * 0.1).item(), rel=1e-3)
        x = w.clone().requires_grad_(True)
        term(x).backward()
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_loss_adds_each_weighted_term_only_for_the_amm_head():
    torch.manual_seed(0)
    logit, target, weight = torch.randn(4, 1), torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.ones(4)
    w = torch.rand(4, 1, 7, 7)
    base = TrainConfig(data=Path("."), out=Path("."), attention_penalty=0.0)
    bce, total = loss_terms(logit, w, target, weight, base)
    assert total.item() == pytest.approx(bce.item())
    cfg = TrainConfig(data=Path("."), out=Path("."), attention_penalty=0.0, attention_entropy=0.5, attention_tv=0.2)
    _, total = loss_terms(logit, w, target, weight, cfg)
    expected = bce + 0.5 * spatial_entropy(w) + 0.2 * total_variation(w)
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    gap = TrainConfig(data=Path("."), out=Path("."), head="gap", attention_entropy=0.5, attention_tv=0.2)
    assert loss_terms(logit, w, target, weight, gap)[1].item() == pytest.approx(bce.item())
    assert math.isclose(TrainConfig.from_dict({**cfg.to_dict()}).attention_tv, 0.2)


def test_cli_options_reach_the_config_and_old_run_configs_still_load():
    import argparse

    from cardioview.training.classifier.train_cli import add_train_arguments, config_from_args

    p = argparse.ArgumentParser()
    add_train_arguments(p)
    cfg = config_from_args(
        p.parse_args(["--data", ".", "--out", "o", "--attention-entropy", "0.3", "--attention-tv", "0.1"])
    )
    assert (cfg.attention_entropy, cfg.attention_tv) == (0.3, 0.1)
    paper = config_from_args(p.parse_args(["--data", ".", "--out", "o", "--recipe", "paper", "--attention-tv", "0.1"]))
    assert (paper.attention_entropy, paper.attention_tv, paper.attention_penalty) == (0.0, 0.0, 0.0)
    old = cfg.to_dict()
    del old["attention_entropy"], old["attention_tv"]  # a config.json written before these options existed
    assert TrainConfig.from_dict(old).attention_tv == 0.0

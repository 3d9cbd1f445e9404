"""The paper recipe's schedule: best-checkpoint choice, LR x0.3 on plateaus, early stopping; a real paper-recipe
run."""

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from cardioview.training.classifier.config import TrainConfig, paper_recipe
from cardioview.training.classifier.schedule import after_validation
from tests.conftest import CXR128, require_shared_data


def _replay(losses, cfg, at_input_size=None):
    state = {"best_val_loss": float("inf"), "best_epoch": -1, "since_best": 0}
    lr, trace = cfg.lr, []
    for epoch, loss in enumerate(losses, 1):
        full = True if at_input_size is None else at_input_size[epoch - 1]
        improved, lr, stop = after_validation(state, loss, epoch, full, lr, cfg)
        trace.append((improved, round(lr, 12), stop))
        if stop:
            break
    return state, trace


def test_plateau_lowers_lr_every_patience_stale_epochs_and_stops_after_patience():
    cfg = replace(paper_recipe(TrainConfig(data=Path("."), out=Path("."))), plateau_patience=2, patience=5)
    state, trace = _replay([1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 1.1], cfg)
    assert [t[0] for t in trace] == [True, True, False, False, False, False, False]
    assert [t[1] for t in trace] == [1e-4, 1e-4, 1e-4, 3e-5, 3e-5, 9e-6, 9e-6]  # x0.3 after 2 and 4 stale epochs
    assert [t[2] for t in trace] == [False] * 6 + [True]  # 5 stale epochs: early stop
    assert state["best_epoch"] == 2 and state["best_val_loss"] == 0.9


def test_selection_by_validation_auroc_keeps_the_best_ranking_epoch():
    cfg = TrainConfig(data=Path("."), out=Path("."), select_by="val_auroc")
    state = {"best_val_loss": float("inf"), "best_score": float("inf"), "best_epoch": -1, "since_best": 0}
    for epoch, (loss, auc) in enumerate([(0.42, 0.885), (0.43, 0.889), (0.44, 0.887), (0.41, 0.886)], 1):
        after_validation(state, loss, epoch, True, cfg.lr, cfg, auc)
    # epoch 4 has the lowest loss, epoch 2 the best AUROC
    assert state["best_epoch"] == 2 and state["best_val_auroc"] == 0.889 and state["best_val_loss"] == 0.43
    assert state["since_best"] == 2


def test_improvement_resets_the_count_and_low_res_epochs_never_compete():
    cfg = replace(paper_recipe(TrainConfig(data=Path("."), out=Path("."))), plateau_patience=2, patience=3)
    state, trace = _replay([0.2, 0.9, 0.95, 0.8, 0.85], cfg, at_input_size=[False, True, True, True, True])
    assert [t[0] for t in trace] == [False, True, False, True, False]  # 0.2 at low resolution is not "best"
    assert state["best_epoch"] == 4 and state["since_best"] == 1
    assert all(t[1] == 1e-4 for t in trace) and not any(t[2] for t in trace)
    onecycle = TrainConfig(data=Path("."), out=Path("."), plateau_patience=1)
    assert all(t[1] == onecycle.lr for t in _replay([1.0, 1.1, 1.2], onecycle)[1])  # LR is the one-cycle's job


def test_paper_recipe_runs_for_real(tmp_path):
    from cardioview.training.cli import main

    data = require_shared_data(CXR128)
    out = tmp_path / "paper"
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--out",
                str(out),
                "--recipe",
                "paper",
                "--limit",
                "12",
                "--epochs",
                "1",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["optimizer"], cfg["lr"], cfg["batch_size"], cfg["schedule"]) == ("sgd", 1e-4, 16, "plateau")
    assert cfg["augment"]["hflip"] == 0.5 and cfg["input_size"] == 224 and cfg["low_res_size"] == 0
    (row,) = list(csv.DictReader(open(out / "epochs.csv")))
    assert row["train_size"] == "224" and float(row["lr"]) == pytest.approx(1e-4)
    assert (out / "best.safetensors").is_file()

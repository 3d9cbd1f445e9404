"""A real (tiny) training on real cxr128 images, resumed, turned into a bundle and evaluated end to end.

Kept small for CI on 2 cores: 24 images at 32 then 64 px, a few optimizer steps.
"""

import argparse
import csv
import json

import numpy as np
import pytest

from cardioview.imaging import load
from cardioview.inference.predictor import Predictor
from cardioview.training.bundle_writer import build_bundle
from cardioview.training.cli import add_train_arguments, main, run_train
from cardioview.training.evaluate import OUTPUT_FILES, evaluate_bundle
from cardioview.training.data import read_labels_csv
from tests.conftest import CXR128, require_shared_data
from tests.training.nih_fixture import build_nih_fixture


def _train_args(*argv):
    p = argparse.ArgumentParser()
    add_train_arguments(p)
    return p.parse_args([str(a) for a in argv])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    data = require_shared_data(CXR128)
    out = tmp_path_factory.mktemp("train") / "run"
    args = _train_args("--data", data, "--out", out, "--limit", 24, "--input-size", 64, "--low-res-size", 32,
                       "--low-res-fraction", 0.5, "--epochs", 2, "--batch-size", 6, "--threads", 1)
    assert run_train(args) == 0
    return out


def test_training_writes_checkpoints_split_and_epoch_log(run_dir):
    for name in ("best.safetensors", "last.safetensors", "state.json", "config.json", "train.csv", "val.csv", "test.csv"):
        assert (run_dir / name).is_file(), name
    rows = list(csv.DictReader(open(run_dir / "epochs.csv")))
    assert [r["train_size"] for r in rows] == ["32", "64"]  # progressive resizing, then the input size
    assert all(np.isfinite(float(r["val_loss"])) for r in rows)
    split = {n: {r["path"] for r in csv.DictReader(open(run_dir / f"{n}.csv"))} for n in ("train", "val", "test")}
    assert sum(map(len, split.values())) == 24
    assert split["train"].isdisjoint(split["test"]) and split["val"].isdisjoint(split["test"])


def test_resume_continues_from_the_last_epoch(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "resumed"
    shutil.copytree(run_dir, copy)
    assert run_train(_train_args("--data", CXR128, "--out", copy, "--resume", "--epochs", 3)) == 0
    rows = list(csv.DictReader(open(copy / "epochs.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert json.loads((copy / "state.json").read_text())["epoch"] == 3


def test_existing_run_is_not_overwritten(run_dir):
    assert run_train(_train_args("--data", CXR128, "--out", run_dir, "--limit", 8)) == 2


def test_bad_data_folder_exits_2(tmp_path):
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2


@pytest.fixture(scope="module")
def bundle(run_dir, tmp_path_factory):
    dest = tmp_path_factory.mktemp("bundle") / "smoke"
    build_bundle(run_dir, dest, name="smoke", bootstrap=100)
    return dest


def test_bundle_manifest_has_measured_figures_and_loads_in_the_predictor(bundle, run_dir):
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["preprocessing"]["input_size"] == 64 and manifest["preprocessing"]["equalize"] is True
    assert 0 < manifest["calibration"]["temperature"] and 0 <= manifest["threshold"] <= 1
    assert set(manifest["validation_operating_point"]) >= {"sensitivity", "specificity"}
    assert manifest["onnx_parity"]["max_abs_probability_diff"] < 1e-4
    assert manifest["evaluation"]["images"] == len(read_labels_csv(run_dir / "test.csv"))
    sample = read_labels_csv(run_dir / "test.csv")[0]
    for backend in ("torch", "onnx"):
        prediction = Predictor(bundle, backend=backend).predict(load(sample.path))
        assert prediction.attention.shape == (2, 2)  # 64 px input -> 2x2 features (DenseNet downsamples by 32)
        assert 0.0 <= prediction.probability <= 1.0


def test_evaluate_writes_report_matching_predictor(bundle, run_dir, tmp_path):
    samples = read_labels_csv(run_dir / "test.csv")
    report = evaluate_bundle(bundle, samples, tmp_path / "eval", attention=True, bootstrap=100)
    for name in OUTPUT_FILES:
        assert (tmp_path / "eval" / name).stat().st_size > 0
    assert report["images"] == len(samples)
    assert report["attention"]["images"] == sum(s.label for s in samples)
    with pytest.raises(FileExistsError):
        evaluate_bundle(bundle, samples, tmp_path / "eval")
    # the report's probabilities are the Predictor's: same threshold decisions image by image
    predictor = Predictor(bundle, backend="torch")
    positives = sum(predictor.predict(load(s.path)).positive for s in samples)
    cm = np.array(report["confusion_matrix"]["rows_true_cols_predicted"])
    assert positives == cm[:, 1].sum()


def test_nih_layout_trains_and_evaluates(tmp_path, tiny_bundle, capsys):
    root = build_nih_fixture(tmp_path / "nih", require_shared_data(CXR128))
    out = tmp_path / "run"
    assert main(["train", "--data", str(root), "--out", str(out), "--input-size", "32", "--low-res-size", "0",
                 "--epochs", "1", "--batch-size", "4", "--threads", "1"]) == 0
    assert {r["path"].rsplit("/", 1)[1][:8] for r in csv.DictReader(open(out / "test.csv"))} == {"00000007", "00000008"}
    assert main(["evaluate", "--weights", str(tiny_bundle), "--data", str(root), "--out", str(tmp_path / "eval"),
                 "--bootstrap", "50"]) == 0
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["images"] == 4
    assert "weighted avg" in capsys.readouterr().out


def test_model_card_quotes_the_manifest(bundle):
    from cardioview.training.model_card import write_model_card

    card = write_model_card(bundle, {"Summary": "smoke run", "Not run": "everything else"}).read_text()
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert f"**AUROC {manifest['evaluation']['auroc']:.3f}**" in card
    assert f"T = {manifest['calibration']['temperature']:.3f}" in card
    assert "## Not run" in card and "research and decision support" in card.lower()

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
from cardioview.training.card.bundle_writer import build_bundle
from cardioview.training.classifier.data import read_labels_csv
from cardioview.training.classifier.train_cli import add_train_arguments, run_train
from cardioview.training.cli import main
from cardioview.training.evaluation.evaluate import OUTPUT_FILES, evaluate_bundle
from tests.conftest import CXR128, NIH1024, SHARED_DATA, require_shared_data
from tests.training.nih_fixture import build_nih_fixture


def _train_args(*argv):
    p = argparse.ArgumentParser()
    add_train_arguments(p)
    return p.parse_args([str(a) for a in argv])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    data = require_shared_data(CXR128)
    out = tmp_path_factory.mktemp("train") / "run"
    args = _train_args(
        "--data",
        data,
        "--out",
        out,
        "--limit",
        24,
        "--input-size",
        64,
        "--low-res-size",
        32,
        "--low-res-fraction",
        0.5,
        "--epochs",
        2,
        "--batch-size",
        6,
        "--threads",
        1,
    )
    assert run_train(args) == 0
    return out


def test_training_writes_checkpoints_split_and_epoch_log(run_dir):
    for name in (
        "best.safetensors",
        "last.safetensors",
        "state.json",
        "config.json",
        "train.csv",
        "val.csv",
        "test.csv",
    ):
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
    rows = list(csv.DictReader(open(tmp_path / "eval" / "predictions.csv")))
    assert [r["path"] for r in rows] == [str(s.path) for s in samples]
    assert sum(int(r["positive"]) for r in rows) == positives


def test_nih_layout_trains_and_evaluates(tmp_path, tiny_bundle, capsys):
    root = build_nih_fixture(tmp_path / "nih", require_shared_data(CXR128))
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--data",
                str(root),
                "--out",
                str(out),
                "--input-size",
                "32",
                "--low-res-size",
                "0",
                "--epochs",
                "1",
                "--batch-size",
                "4",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    assert {r["path"].rsplit("/", 1)[1][:8] for r in csv.DictReader(open(out / "test.csv"))} == {"00000007", "00000008"}
    assert (
        main(
            [
                "evaluate",
                "--weights",
                str(tiny_bundle),
                "--data",
                str(root),
                "--out",
                str(tmp_path / "eval"),
                "--bootstrap",
                "50",
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["images"] == 4
    assert "weighted avg" in capsys.readouterr().out


def test_model_card_quotes_the_manifest(bundle):
    from cardioview.training.card.model_card import write_model_card

    card = write_model_card(bundle, {"Summary": "smoke run", "Not run": "everything else"}).read_text()
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert f"**AUROC {manifest['evaluation']['auroc']:.3f}**" in card
    assert f"T = {manifest['calibration']['temperature']:.3f}" in card
    assert "## Not run" in card and "research and decision support" in card.lower()


def test_compare_scores_both_bundles_on_the_same_images(bundle, tiny_bundle, run_dir, tmp_path, capsys):
    from cardioview.training.evaluation import metrics
    from cardioview.training.evaluation.compare import OUTPUT_FILES as COMPARE_FILES

    labels = run_dir / "test.csv"
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                "--weights",
                str(bundle),
                str(tiny_bundle),
                "--labels",
                str(labels),
                "--out",
                str(out),
                "--bootstrap",
                "50",
            ]
        )
        == 0
    )
    for name in COMPARE_FILES:
        assert (out / name).stat().st_size > 0
    result = json.loads((out / "comparison.json").read_text())
    assert [r["model"].split("@")[0] for r in result["models"]] == ["smoke", "tiny_test"]
    rows = list(csv.DictReader(open(out / "predictions.csv")))
    assert len(rows) == result["images"] == len(read_labels_csv(labels))
    y = np.array([int(r["label"]) for r in rows])
    p_a, p_b = (np.array([float(r[c]) for r in rows]) for c in list(rows[0])[2:4])
    # each model's AUROC and the pair's delta are recomputed from the written probabilities
    assert result["models"][0]["auroc"] == pytest.approx(metrics.auroc(y, p_a), abs=1e-5)
    assert result["pairs"][0]["delta"] == pytest.approx(metrics.auroc(y, p_a) - metrics.auroc(y, p_b), abs=1e-5)
    # the smoke bundle's evaluation in its manifest scored the same test split with the same weights
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert result["models"][0]["auroc"] == pytest.approx(manifest["evaluation"]["auroc"], abs=1e-6)
    assert "paired 95% CI" in capsys.readouterr().out
    assert (
        main(["compare", "--weights", str(bundle), str(tiny_bundle), "--labels", str(labels), "--out", str(out)]) == 2
    )  # an earlier comparison is never overwritten silently
    assert main(["compare", "--weights", str(bundle), "--labels", str(labels), "--out", str(tmp_path / "x")]) == 2


def test_bundle_command_writes_the_whole_model_card(run_dir, bundle, tiny_bundle, tmp_path):
    from cardioview.training.evaluation.compare import compare_bundles

    samples = read_labels_csv(run_dir / "test.csv")
    comparison = compare_bundles([bundle, tiny_bundle], samples, tmp_path / "cmp", bootstrap=20)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("path,label\n" + "".join(f"{s.path},{s.label}\n" for s in samples[:3]))
    notes = tmp_path / "notes.md"
    notes.write_text("# ignored title\n\n## Summary\n\nA smoke bundle.\n\n## Ablation\n\nSame recipe for both.\n")
    dest = tmp_path / "carded"
    assert (
        main(
            [
                "bundle",
                "--run",
                str(run_dir),
                "--out",
                str(dest),
                "--bootstrap",
                "20",
                "--card-notes",
                str(notes),
                "--contact-sheet",
                str(sheet),
                "--ablation",
                str(tmp_path / "cmp"),
                "--boxes",
                str(boxed_folder(tmp_path / "boxed", films=3)),
            ]
        )
        == 0
    )
    card = (dest / "MODEL_CARD.md").read_text()
    loc = json.loads((dest / "manifest.json").read_text())["evaluation"]["box_localisation"]
    assert loc["model"]["films"] == 3 and "no box entered the loss" in loc["films_split"]
    assert "| constant central blob | 3 |" in card and "Attention against radiologists' boxes" in card
    assert "A smoke bundle." in card and "ignored title" not in card
    assert "Same recipe for both." in card
    assert f"{comparison['pairs'][0]['delta']:+.3f}" in card
    for s in samples[:3]:  # one contact-sheet row per image
        assert sum(line.startswith(f"| {s.path.name} |") for line in card.splitlines()) == 1
    assert (dest / "contact_sheet.jpg").stat().st_size > 0
    manifest_bytes = (dest / "manifest.json").read_bytes()
    notes.write_text("## Summary\n\nRewritten summary.\n")
    assert main(["bundle", "--out", str(dest), "--card-only", "--card-notes", str(notes)]) == 0
    assert "Rewritten summary." in (dest / "MODEL_CARD.md").read_text()
    assert (dest / "manifest.json").read_bytes() == manifest_bytes  # the bundle itself is untouched
    assert main(["bundle", "--run", str(run_dir), "--out", str(dest), "--ablation", str(tmp_path / "none.json")]) == 2


def test_card_notes_are_read_by_section(tmp_path):
    from cardioview.training.card.model_card import read_notes

    f = tmp_path / "notes.md"
    f.write_text("preamble\n## Summary\nline one\n\n### kept subheading\nline two\n## Not run\n- x\n")
    assert read_notes(f) == {"Summary": "line one\n\n### kept subheading\nline two", "Not run": "- x"}


def test_head_probe_retrains_the_head_per_variant_and_measures_it(run_dir, bundle, tmp_path):
    from cardioview.training.classifier.head_probe import main as probe_main
    from cardioview.training.classifier.head_probe import parse_variant

    assert parse_variant("base:") == ("base", {})
    assert parse_variant("mix=attention_entropy:0.3,attention_bias:-2") == (
        "mix",
        {"attention_entropy": 0.3, "attention_bias": -2.0},
    )
    with pytest.raises(ValueError):
        parse_variant("bad=learning_rate:1")
    assert (
        probe_main(
            [
                "--run",
                str(run_dir),
                "--out",
                str(tmp_path),
                "--variant",
                "base:",
                "--variant",
                "sharp=attention_entropy:1.0,attention_bias:0",
                "--epochs",
                "2",
                "--attention-limit",
                "2",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    rows = json.loads((tmp_path / "probe.json").read_text())["rows"]
    assert [r["variant"] for r in rows] == ["base", "sharp"]
    assert (tmp_path / "head_sharp.safetensors").is_file() and np.load(tmp_path / "test_attention_base.npy").ndim == 3
    assert rows[1]["options"]["attention_entropy"] == 1.0 and rows[1]["options"]["attention_bias"] == 0.0
    for r in rows:
        assert 0 <= r["test_auroc"] <= 1 and r["attention"]["images"] == 2
        assert 0 <= r["attention"]["pointing_rate"] <= 1 and r["val_attention"]["images"] >= 1
    assert probe_main(["--run", str(run_dir), "--out", str(tmp_path), "--variant", "x=nope:1"]) == 2
    cached = (tmp_path / "features.safetensors").stat().st_mtime_ns
    assert (
        probe_main(
            [
                "--run",
                str(run_dir),
                "--out",
                str(tmp_path),
                "--variant",
                "again:",
                "--epochs",
                "1",
                "--attention-limit",
                "1",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    assert (tmp_path / "features.safetensors").stat().st_mtime_ns == cached  # reused, not recomputed
    # the card's attention-options table is read from probe.json
    import shutil

    carded = shutil.copytree(bundle, tmp_path / "carded")
    assert main(["bundle", "--out", str(carded), "--card-only", "--probe", str(tmp_path)]) == 0
    card = (carded / "MODEL_CARD.md").read_text()
    assert "## Attention options" in card and "| 1 | again | " in card


def boxed_folder(root, films: int = 4):
    """A boxes.csv beside its films (symlinks to the first ``films`` real NIH boxed films)."""
    boxes_dir = require_shared_data(SHARED_DATA / "nih-boxes")
    (root / "images").mkdir(parents=True)
    lines = (boxes_dir / "boxes.csv").read_text().splitlines()
    for line in lines[1 : films + 1]:
        name = line.split(",")[0]
        (root / "images" / name).symlink_to(boxes_dir / "images" / name)
    (root / "boxes.csv").write_text("\n".join(lines[: films + 1]) + "\n")
    return root / "boxes.csv"


def test_evaluate_reads_a_boxed_film_folder_and_prints_the_central_baseline(tmp_path, tiny_bundle, capsys):
    """--boxes with a boxes.csv beside its films: scored on those films, model beside the central blob."""
    boxes = boxed_folder(tmp_path / "boxed")
    assert (
        main(
            [
                "evaluate",
                "--weights",
                str(tiny_bundle),
                "--labels",
                str(NIH1024 / "labels.csv"),
                "--boxes",
                str(boxes),
                "--out",
                str(tmp_path / "eval"),
                "--bootstrap",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "central_blob" in out and "4 films" in out
    loc = json.loads((tmp_path / "eval" / "metrics.json").read_text())["localisation"]
    assert loc["model"]["films"] == loc["central_blob"]["films"] == 4
    assert loc["central_blob"]["pointing_rate"] == 1.0
    assert 0.0 <= loc["model"]["t60"]["mean_iou"] <= 1.0 and loc["attention"]["images"] == 4


def test_anatomy_guided_run_with_weight_average_resumes(tmp_path):
    """--attention-anatomy and --ema-decay: heart masks stored, the average saved and restored on resume."""
    from safetensors.torch import load_file

    data = require_shared_data(CXR128)
    out = tmp_path / "anat"
    args = _train_args(
        "--data",
        data,
        "--out",
        out,
        "--limit",
        24,
        "--input-size",
        64,
        "--low-res-size",
        0,
        "--epochs",
        1,
        "--batch-size",
        6,
        "--threads",
        1,
        "--output-stride",
        16,
        "--attention-anatomy",
        1.0,
        "--ema-decay",
        0.9,
    )
    assert run_train(args) == 0
    for name in ("heart_masks.safetensors", "last_ema.safetensors", "best.safetensors"):
        assert (out / name).is_file(), name
    ema = load_file(str(out / "last_ema.safetensors"))
    last = load_file(str(out / "last.safetensors"))
    best = load_file(str(out / "best.safetensors"))
    key = "head.conv4.weight"
    assert key in best and not torch_equal(ema[f"module.{key}"], last[key])  # the average is not the raw weights
    assert torch_equal(ema[f"module.{key}"], best[key])  # and it is what was validated and saved
    assert run_train(_train_args("--data", data, "--out", out, "--resume", "--epochs", 2)) == 0
    rows = list(csv.DictReader(open(out / "epochs.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2"]


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a.float(), b.float()))


def test_fine_tuning_with_the_deletion_term_starts_from_the_given_weights(run_dir, bundle, tmp_path):
    """--init-weights (a hash-verified bundle) and --attention-deletion: logged per epoch, weights carried over."""
    from safetensors.torch import load_file

    data = require_shared_data(CXR128)
    out = tmp_path / "fine"
    args = _train_args(
        "--data",
        data,
        "--out",
        out,
        "--limit",
        24,
        "--input-size",
        64,
        "--low-res-size",
        0,
        "--epochs",
        1,
        "--batch-size",
        6,
        "--threads",
        1,
        "--lr",
        1e-12,
        "--attention-deletion",
        1.0,
        "--init-weights",
        bundle,
    )
    assert run_train(args) == 0
    rows = list(csv.DictReader(open(out / "epochs.csv")))
    assert float(rows[0]["deletion_loss"]) > 0
    start = load_file(str(run_dir / "best.safetensors"))
    after = load_file(str(out / "best.safetensors"))
    key = "head.conv4.weight"  # an LR of 1e-12 leaves the bundle's weights where they were
    assert torch_equal(after[key], start[key].half())
    # a bundle of another network is refused with a message, not a traceback
    other = _train_args(
        "--data",
        data,
        "--out",
        tmp_path / "other",
        "--limit",
        24,
        "--input-size",
        64,
        "--low-res-size",
        0,
        "--epochs",
        1,
        "--head",
        "gap",
        "--init-weights",
        bundle,
    )
    assert run_train(other) == 2

"""``cardioview compare --ensemble`` (issue 19, item 5) on real cxr128 films with the shipped bundle."""

import csv
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cardioview.imaging import load
from cardioview.inference.calibration_map import logit_of
from cardioview.inference.predictor import Predictor
from cardioview.inference.preprocess import preprocess
from cardioview.model.bundle import load_bundle, write_manifest
from cardioview.model.checkpoint import load_network
from cardioview.training.classifier.data import Sample
from cardioview.training.cli import main
from cardioview.training.evaluation.ensemble import COST_LIMIT, decide
from cardioview.training.evaluation.scoring import score_samples
from tests.conftest import CXR128, SHARED_DATA, require_shared_data

BOXES = SHARED_DATA / "nih-boxes" / "boxes.csv"

LIMIT = "160"  # 80 films per class before the split: about 24 validation and 24 test films


def _compare(out, *weights, extra=()):
    require_shared_data(CXR128)
    args = ["compare", "--ensemble", "--weights", *map(str, weights), "--data", str(CXR128), "--limit", LIMIT]
    assert main([*args, "--bootstrap", "50", "--out", str(out), *extra]) == 0
    return out, json.loads((out / "comparison.json").read_text())


@pytest.fixture(scope="module")
def shipped_and_tiny(shipped_bundle, tiny_bundle, tmp_path_factory):
    """The shipped bundle and a random one as an ensemble, with a cost file over the limit (measured once)."""
    folder = tmp_path_factory.mktemp("ensemble")
    cost = folder / "cost.json"
    cost.write_text(json.dumps({"end_to_end_ratio": 1.62, "bare_forward_ratio": 2.0, "images": 12, "repeats": 3}))
    return _compare(folder / "out", shipped_bundle, tiny_bundle, extra=("--cost", str(cost)))


def test_the_ensemble_of_a_bundle_with_itself_scores_as_the_bundle(shipped_bundle, tmp_path):
    require_shared_data(BOXES.parent)
    out, result = _compare(tmp_path / "out", shipped_bundle, shipped_bundle, extra=("--pairs", str(BOXES)))
    member, _, ensemble = result["models"]
    for split in ("validation", "test"):
        assert ensemble[split]["auroc"] == member[split]["auroc"]
        assert ensemble[split]["sensitivity"] == member[split]["sensitivity"]
        assert ensemble[split]["specificity"] == member[split]["specificity"]
        assert result["pairs"][split][-1]["delta"] == 0.0
    assert ensemble["threshold"] == pytest.approx(member["threshold"])
    # a copy of the shipped model does not win: the rule keeps the single model
    decision = result["decision"]
    assert decision["wins_on_validation"] is False and decision["ship_ensemble"] is False
    assert "keep the single model" in decision["verdict"]
    assert "**Decision: keep the single model" in (out / "ensemble.md").read_text()
    assert result["split"]["preprocessing_version"] == 2
    # a subset's split is not the bundle's training split (666 validation films): said, not hidden
    assert result["split"]["counts_match_training_split"] == {load_bundle(shipped_bundle).model_id: False}
    assert "**Warning:** the rebuilt split's counts differ" in (out / "ensemble.md").read_text()
    # each candidate's thumbnail-vs-full-size figures on the 90 real pairs: version 2 scores a film alike at any size
    member_pairs, _, ensemble_pairs = result["thumbnail_pairs"]
    assert member_pairs["films"] == 90 and ensemble_pairs == {**member_pairs, "label": ensemble_pairs["label"]}
    assert member_pairs["median_abs_dp"] <= 0.01 and member_pairs["probability_correlation"] > 0.99
    assert "| ensemble (mean logit after T) | " in (out / "ensemble.md").read_text()


def test_ensemble_logits_are_the_mean_of_the_members_logits_after_temperature(
    shipped_bundle, tiny_bundle, shipped_and_tiny
):
    out, result = shipped_and_tiny
    rows = list(csv.DictReader(open(out / "predictions.csv", newline="")))
    z_columns = [c for c in rows[0] if c.startswith("z")]
    assert len(z_columns) == 3 and len(rows) == result["models"][0]["validation"]["images"] * 2
    z = np.array([[float(r[c]) for c in z_columns] for r in rows])
    np.testing.assert_allclose(z[:, 2], z[:, :2].mean(axis=1), atol=2e-6)
    # each member's z is its network's logit over its own temperature, at preprocessing version 2
    films = [Sample(Path(r["path"]), int(r["label"])) for r in rows[:6]]
    for k, path in enumerate((shipped_bundle, tiny_bundle)):
        bundle = load_bundle(path)
        logits = score_samples(load_network(bundle), films, replace(bundle.preprocess, version=2)).logits
        np.testing.assert_allclose(z[:6, k], logits / bundle.temperature, atol=2e-5)
    # the ONNX export's probability gives the same z (what a shipped ensemble would average)
    predictor = Predictor(shipped_bundle, backend="onnx", device="cpu", anatomy=False)
    for film, z_film in zip(films, z[:6, 0]):
        p, _ = predictor.backend.run(preprocess(load(film.path).pixels, predictor.spec))
        assert float(logit_of(p)[0]) == pytest.approx(z_film, abs=1e-3)
    # the decision carries the cost: 1.62x is over the limit whatever validation says
    decision = result["decision"]
    assert decision["cost_ratio"] == 1.62 and decision["under_cost_limit"] is False
    assert decision["ship_ensemble"] is False
    assert set(decision) >= {"rule", "validation_delta", "validation_delta_ci95", "wins_on_validation", "verdict"}
    assert result["models"][2]["members"] == [load_bundle(p).model_id for p in (shipped_bundle, tiny_bundle)]


def test_the_decision_follows_the_issues_rule():
    gain = {"delta": 0.004, "ci95": [-0.002, 0.010]}
    loss = {"delta": -0.001, "ci95": [-0.006, 0.004]}
    assert decide(gain, {"end_to_end_ratio": COST_LIMIT - 0.01})["ship_ensemble"] is True
    assert decide(gain, {"end_to_end_ratio": COST_LIMIT})["ship_ensemble"] is False
    assert decide(loss, {"end_to_end_ratio": 1.1})["ship_ensemble"] is False
    unmeasured = decide(gain, None)
    assert unmeasured["ship_ensemble"] is None and "cost not measured" in unmeasured["verdict"]
    assert decide(gain, None)["significant_on_validation"] is False
    assert decide(loss, None)["ship_ensemble"] is False


def test_the_measurement_goes_into_the_manifest_and_the_card(shipped_bundle, shipped_and_tiny, tmp_path, capsys):
    out, result = shipped_and_tiny
    # a signed bundle is never left unsigned: without the key the command refuses and changes nothing
    signed = tmp_path / "signed"
    shutil.copytree(shipped_bundle, signed)
    before = (signed / "manifest.json").read_bytes()
    assert main(["bundle", "--out", str(signed), "--card-only", "--ensemble", str(out)]) == 2
    assert "--signing-key" in capsys.readouterr().err
    assert (signed / "manifest.json").read_bytes() == before
    # an unsigned bundle records it; the card renders it from the manifest
    unsigned = tmp_path / "unsigned"
    shutil.copytree(shipped_bundle, unsigned)
    manifest = json.loads((unsigned / "manifest.json").read_text())
    write_manifest(unsigned, {k: v for k, v in manifest.items() if k != "signature"})
    assert main(["bundle", "--out", str(unsigned), "--card-only", "--ensemble", str(out / "comparison.json")]) == 0
    recorded = json.loads((unsigned / "manifest.json").read_text())["ensemble_measurement"]
    assert recorded["decision"] == result["decision"]
    assert all("map" not in r["calibration"] for r in recorded["models"])
    card = (unsigned / "MODEL_CARD.md").read_text()
    assert "## AMM + GAP ensemble" in card and result["decision"]["verdict"] in card
    assert f"{result['pairs']['validation'][-1]['delta']:+.4f}" in card
    assert load_bundle(unsigned).model_id == load_bundle(shipped_bundle).model_id  # the network files are untouched

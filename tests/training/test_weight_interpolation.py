"""Weight interpolation between two checkpoints, scored on a run's real validation films with the shipped model."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from cardioview.errors import CardioViewError
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.data import read_labels_csv
from cardioview.training.classifier.run_split import DataSplit, write_split
from cardioview.training.evaluation.weight_interpolation import interpolate, interpolation_aurocs, main
from tests.conftest import CXR128, REPO_ROOT, require_shared_data

SHIPPED = REPO_ROOT / "weights" / "cxa_dense121"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    require_shared_data(CXR128)
    if not SHIPPED.is_dir():
        pytest.skip("the shipped weights/cxa_dense121 is absent")
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(
        data=CXR128,
        out=out,
        head=manifest["architecture"]["head"],
        output_stride=manifest["architecture"]["output_stride"],
        input_size=manifest["preprocessing"]["input_size"],
        low_res_size=0,
    )
    (out / "config.json").write_text(json.dumps(cfg.to_dict()))
    samples = read_labels_csv(CXR128 / "labels.csv")
    val = [s for s in samples if s.label == 1][:20] + [s for s in samples if s.label == 0][:20]
    write_split(DataSplit(samples[:4], val, [], "test", {}), out)
    return out


def test_the_trained_end_scores_and_a_blank_end_does_not(run, tmp_path):
    shipped = {k: v for k, v in load_file(str(SHIPPED / "model.safetensors")).items()}
    blank = {k: (torch.zeros_like(v) if v.is_floating_point() else v) for k, v in shipped.items()}
    save_file({f"module.{k}": v for k, v in blank.items()}, str(tmp_path / "blank.safetensors"))  # as an EMA snapshot
    rows = interpolation_aurocs(run, SHIPPED, tmp_path / "blank.safetensors", [0.0, 1.0])
    assert [r["alpha"] for r in rows] == [0.0, 1.0]
    assert rows[0]["auroc"] > 0.8  # the shipped model on 40 real films
    assert rows[1]["auroc"] == pytest.approx(0.5)  # all-zero weights: one score for every film
    same = interpolation_aurocs(run, SHIPPED, SHIPPED, [0.5])
    assert same[0]["auroc"] == pytest.approx(rows[0]["auroc"], abs=1e-3)


def test_interpolation_is_linear_keeps_integer_buffers_and_refuses_other_tensors():
    a = {"w": torch.zeros(2), "n": torch.tensor(3)}
    b = {"w": torch.ones(2), "n": torch.tensor(9)}
    mid = interpolate(a, b, 0.25)
    assert torch.allclose(mid["w"], torch.full((2,), 0.25)) and int(mid["n"]) == 3
    with pytest.raises(CardioViewError, match="different tensors"):
        interpolate(a, {"w": torch.ones(2)}, 0.5)


def test_cli_prints_a_line_per_alpha_and_names_a_missing_file(run, tmp_path, capsys):
    assert (
        main(["--run", str(run), "--from", str(SHIPPED), "--to", str(SHIPPED), "--alphas", "1", "--limit", "10"]) == 0
    )
    assert "val alpha 1.00: AUROC" in capsys.readouterr().out
    assert main(["--run", str(run), "--from", str(SHIPPED), "--to", str(tmp_path / "none.safetensors")]) == 2
    assert "none.safetensors" in capsys.readouterr().err

"""Turn a finished run into a weights bundle the Predictor loads, with measured figures in its manifest.

Order matters: the fp16 tensors are written first and read back into an fp32
network, and *that* network is calibrated, thresholded, evaluated and exported
to ONNX, so every figure and both backends use exactly the shipped values.

    1. best.safetensors -> model.safetensors (fp16) -> fp32 network with fp16-rounded weights
    2. validation: temperature (min NLL), threshold (rule on calibrated P), operating point, ECE before/after
    3. model.onnx with the temperature baked in; torch/ONNX Runtime parity on validation images
    4. held-out test split: AUROC + CI, per-class report, ECE; attention figures
    5. manifest.json last (hashes of both files; signed with ``--signing-key``)
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch

from cardioview.model.bundle import ONNX, SAFETENSORS, write_manifest
from cardioview.model.checkpoint import load_tensors_into, save_tensors
from cardioview.model.network import NetworkConfig, ProbabilityModel, build_network, count_parameters
from cardioview.model.onnx_export import export_onnx
from cardioview.training.classifier.calibration import calibration_report, fit_temperature
from cardioview.training.classifier.config import TrainConfig
from cardioview.training.classifier.run_network import preprocess_spec
from cardioview.training.classifier.run_split import read_split
from cardioview.training.evaluation import metrics as m
from cardioview.training.evaluation.evaluate import attention_report, boxes_report, classification_metrics
from cardioview.training.evaluation.scoring import load_input, score_samples

INTENDED_USE_TEXT = (
    "Research and decision support only: not a medical device, not cleared for diagnosis. "
    "A radiologist reads every image; the probability and the attention overlay are an aid."
)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fp16_network(run: Path, dest: Path, config: NetworkConfig) -> torch.nn.Module:
    """Write dest/model.safetensors (fp16) from run/best.safetensors and return an fp32 net holding those values."""
    net = build_network(config, init=False)
    load_tensors_into(net, run / "best.safetensors")
    save_tensors(
        net, dest / SAFETENSORS, half=True, metadata={"format": "pt", "architecture": json.dumps(config.to_dict())}
    )
    shipped = build_network(config, init=False)
    load_tensors_into(shipped, dest / SAFETENSORS)
    return shipped.eval()


def onnx_parity(net: torch.nn.Module, onnx_path: Path, temperature: float, grays: list[np.ndarray]) -> dict:
    """Max |torch - ONNX Runtime| of probability and attention on real inputs."""
    import onnxruntime as ort

    x = np.stack([np.broadcast_to(g, (3,) + g.shape) for g in grays]).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    p_onnx, w_onnx = session.run(None, {"image": x})
    with torch.no_grad():
        p_torch, w_torch = ProbabilityModel(net, temperature).eval()(torch.from_numpy(x))
    return {
        "images": len(grays),
        "max_abs_probability_diff": float(np.abs(p_onnx - p_torch.numpy()).max()),
        "max_abs_attention_diff": float(np.abs(w_onnx - w_torch.numpy()).max()),
    }


def epochs_summary(run: Path) -> list[dict]:
    path = run / "epochs.csv"
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def build_bundle(
    run: Path,
    dest: Path,
    name: str = "cxa_dense121",
    threshold_rule: str = "youden",
    attention_limit: int = 0,
    bootstrap: int = 2000,
    extra: dict | None = None,
    boxes: Path | None = None,
    signing_key=None,
) -> dict:
    """Write ``dest`` (model.safetensors, model.onnx, manifest.json) from the run folder; returns the manifest.

    Args:
        run: a finished training run (config.json, best.safetensors, val.csv, test.csv).
        dest: the bundle folder (created; existing bundle files are replaced, the run is the source of truth).
        name: bundle name in the manifest.
        threshold_rule: "youden" or "max-f1", applied to calibrated validation probabilities.
        attention_limit: cap on cardiomegaly test images for the attention figures (0 = all).
        bootstrap: resamples for the test AUROC CI.
        extra: merged into the manifest (e.g. notes for the model card).
        boxes: a box table (evaluation.box_localisation): the map against radiologists' boxes
            beside the central blob, recorded with which split the films belong to.
        signing_key: a trusted Ed25519 private key (signing.load_private_key); None writes an
            unsigned bundle, which loads as "unsigned research weights".
    """
    run, dest = Path(run), Path(dest)
    cfg = TrainConfig.from_dict(json.loads((run / "config.json").read_text(encoding="utf-8")))
    config = NetworkConfig(
        backbone=cfg.backbone,
        head=cfg.head,
        dropout=cfg.dropout,
        attention_bias=cfg.attention_bias,
        output_stride=cfg.output_stride,
    )
    spec = preprocess_spec(cfg)
    split = read_split(run)
    dest.mkdir(parents=True, exist_ok=True)
    net = fp16_network(run, dest, config)

    _log(f"scoring validation ({len(split.val)} images)")
    val = score_samples(net, split.val, spec)
    temperature = fit_temperature(val.logits, val.labels)
    calibration = calibration_report(val.logits, val.labels, temperature)
    val_probs = val.probabilities(temperature)
    threshold = m.choose_threshold(val.labels, val_probs, threshold_rule)
    val_report = m.classification_report(val.labels, val_probs, threshold)

    _log("exporting ONNX")
    export_onnx(net, dest / ONNX, temperature, example_size=cfg.input_size)
    parity = onnx_parity(net, dest / ONNX, temperature, [load_input(s.path, spec) for s in split.val[:8]])

    evaluation = {}
    if split.test:
        _log(f"scoring the held-out test split ({len(split.test)} images)")
        test = score_samples(net, split.test, spec)
        test_report = classification_metrics(test.labels, test.probabilities(temperature), threshold, bootstrap)
        _log("attention figures on test cardiomegaly images")
        test_report["attention"] = attention_report(net, test, spec, temperature, attention_limit)
        evaluation = {
            "split": "held-out test split of the training source (never used in training or model selection)",
            **{k: v for k, v in test_report.items() if k != "reliability"},
        }
        if boxes is not None:
            _log(f"box localisation on {boxes}")
            evaluation["box_localisation"] = {
                "films_split": "weakly supervised: no box entered the loss; the boxed films' patients are in the "
                "training source, and matched films are training images (see cxr128_match)",
                **boxes_report(net, test, boxes, spec, temperature),
            }

    result = json.loads((run / "result.json").read_text(encoding="utf-8")) if (run / "result.json").is_file() else {}
    trainable, fixed = count_parameters(net)
    manifest = {
        "name": name,
        "architecture": {**config.to_dict(), "display_name": config.name},
        "preprocessing": spec.to_dict(),
        "threshold": threshold,
        "threshold_rule": f"{threshold_rule} on calibrated validation probabilities",
        "validation_operating_point": {
            "sensitivity": val_report["sensitivity"],
            "specificity": val_report["specificity"],
            "accuracy": val_report["accuracy"],
            "images": len(val.samples),
        },
        "validation_auroc": m.auroc(val.labels, val_probs),
        "calibration": calibration,
        "intended_use": "research",
        "intended_use_text": INTENDED_USE_TEXT,
        "parameters": {"trainable": trainable, "fixed": fixed},
        "training": {
            "config": cfg.to_dict(),
            "result": result,
            "split": json.loads((run / "split.json").read_text(encoding="utf-8"))
            if (run / "split.json").is_file()
            else {},
            "epochs": epochs_summary(run),
            "tensors": "fp16 safetensors (ONNX built from the same fp16-rounded values, fp32)",
        },
        "evaluation": evaluation,
        "onnx_parity": parity,
        **(extra or {}),
    }
    write_manifest(dest, manifest, signing_key)
    return json.loads((dest / "manifest.json").read_text(encoding="utf-8"))

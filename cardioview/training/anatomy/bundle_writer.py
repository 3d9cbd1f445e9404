"""Package a train-anatomy run as weights/cxr_anatomy: fp16 safetensors, fp16-weight ONNX, manifest.

``python -m cardioview.training.anatomy.bundle_writer --run RUN --out weights/cxr_anatomy``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from safetensors.torch import load_file, save_file

from cardioview.model.anatomy_bundle import ONNX, SAFETENSORS, load_anatomy_bundle, write_anatomy_manifest
from cardioview.model.anatomy_export import export_onnx
from cardioview.model.segmenter import CHANNELS, build_segmenter, count_parameters
from cardioview.training.anatomy.train import AnatomyConfig

INTENDED_USE = (
    "Research and decision support only: outlines the heart and lungs on a frontal adult chest "
    "radiograph and measures the cardiothoracic ratio for a radiologist to check and adjust. "
    "Not a medical device; not for lateral, paediatric or non-chest images."
)


def write_bundle(run: Path, out: Path, figures: dict | None = None) -> Path:
    cfg = AnatomyConfig(**json.loads((run / "config.json").read_text()))
    arch = {"type": "unet", "base": cfg.base, "depth": cfg.depth, "channels": list(CHANNELS)}
    model = build_segmenter(arch)
    model.load_state_dict(load_file(str(run / "best.safetensors")))
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()},
        str(out / SAFETENSORS),
    )
    export_onnx(model, out / ONNX, cfg.input_size)
    best = json.loads((run / "best.json").read_text())
    epochs = (run / "epochs.csv").read_text().strip().splitlines()
    manifest = {
        "name": "cxr_anatomy",
        "task": "heart / right lung / left lung segmentation and cardiothoracic ratio",
        "architecture": arch,
        "parameters": count_parameters(model),
        "preprocessing": cfg.spec.to_dict(),
        "mask_threshold": 0.5,
        "onnx": {
            "input": "image float32 (N, 1, H, W), H, W multiples of 16",
            "output": "masks float32 (N, 3, H, W) sigmoid, channels " + ", ".join(CHANNELS),
            "weights": "fp16 initialisers cast to fp32 at load",
        },
        "safetensors_dtype": "float16",
        "intended_use": "research",
        "intended_use_text": INTENDED_USE,
        "training": {
            "data": ["JSRT + SCR masks (van Ginneken 2006), research use", "Extended Wingspan (Dong 2018), MIT"],
            "split": {k: len(v) for k, v in json.loads((run / "split.json").read_text()).items()},
            "split_seed": cfg.seed,
            "test_images": json.loads((run / "split.json").read_text())["test"],
            "config": {k: v for k, v in cfg.__dict__.items() if k not in ("data", "out")},
            "epochs": len(epochs) - 1,
            "best_epoch": best["epoch"],
            "validation_dice": {"heart": best["heart"], "lungs": best["lungs"]},
        },
        "figures": figures or {},
    }
    write_anatomy_manifest(out, manifest)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--figures", type=Path, help="metrics.json from evaluate-anatomy on the test split")
    p.add_argument("--figures-only", action="store_true", help="only put --figures into the existing bundle's manifest")
    a = p.parse_args(argv)
    figures = json.loads(a.figures.read_text()) if a.figures else None
    if a.figures_only:  # keep the files (and so the model id the figures name), update the manifest
        manifest = load_anatomy_bundle(a.out).manifest
        manifest["figures"] = figures or {}
        print(write_anatomy_manifest(a.out, manifest))
        return 0
    print(write_bundle(a.run.expanduser(), a.out, figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

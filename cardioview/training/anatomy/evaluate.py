"""``cardioview evaluate-anatomy``: Dice per structure, CTR agreement, heart-box IoU; JSON + PNGs.

Runs the shipped path (ONNX Runtime, masks at the image's own size, quality check),
so the figures are what a user gets.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from cardioview.anatomy import assess
from cardioview.anatomy.mask_measurement import measure_ctr
from cardioview.atomic import atomic_write_text
from cardioview.imageops import to_uint8
from cardioview.imaging.loader import load
from cardioview.inference.anatomy_runner import AnatomyRunner
from cardioview.training.anatomy.data import AnatomyDataError, load_image, load_mask, read_ctr_csv, scan
from cardioview.training.anatomy.metrics import agreement, bbox, dice, iou, summary
from cardioview.training.anatomy.plots import bland_altman_figure, case_figure, sheet
from cardioview.training.card.plots import save_png


def evaluate_items(runner: AnatomyRunner, items, ctr_override: dict[str, float] | None = None) -> list[dict]:
    """One row per film: Dice, predicted CTR (None when the check failed), GT-mask CTR, key-point CTR."""
    rows = []
    for it in items:
        gray = load_image(it.image)
        truth = [load_mask(m) for m in it.masks]
        (heart, right, left), shares = runner.masks(gray, with_shares=True)
        res = assess(heart, right, left, shares=shares)
        gt = measure_ctr(*truth)
        ref = (ctr_override or {}).get(it.name, it.ctr)
        rows.append(
            {
                "image": it.key,
                "heart_dice": dice(res.heart, truth[0]),
                "lungs_dice": dice(res.lungs, truth[1] | truth[2]),
                "right_lung_dice": dice(res.right_lung, truth[1]),
                "left_lung_dice": dice(res.left_lung, truth[2]),
                "ctr": res.ctr,
                "qc_reason": res.reason,
                "gt_mask_ctr": None if gt is None else gt.ratio,
                "keypoint_ctr": ref,
                "_pred": (res.heart, res.right_lung, res.left_lung),
                "_truth": tuple(truth),
                "_gray": gray,
            }
        )
    return rows


def segmentation_figures(rows: list[dict]) -> dict:
    out = {k: summary([r[k] for r in rows]) for k in ("heart_dice", "lungs_dice", "right_lung_dice", "left_lung_dice")}
    out["qc_failed"] = [{"image": r["image"], "reason": r["qc_reason"]} for r in rows if r["ctr"] is None]
    with_ref = [r for r in rows if r["keypoint_ctr"] is not None and r["ctr"] is not None]
    if len(with_ref) >= 2:
        out["ctr_vs_keypoint"] = agreement([r["ctr"] for r in with_ref], [r["keypoint_ctr"] for r in with_ref])
        gt = [r for r in with_ref if r["gt_mask_ctr"] is not None]
        out["gt_mask_ctr_vs_keypoint"] = agreement([r["gt_mask_ctr"] for r in gt], [r["keypoint_ctr"] for r in gt])
    with_gt = [r for r in rows if r["gt_mask_ctr"] is not None and r["ctr"] is not None]
    if len(with_gt) >= 2:
        out["ctr_vs_gt_mask"] = agreement([r["ctr"] for r in with_gt], [r["gt_mask_ctr"] for r in with_gt])
    return out


def box_figures(runner: AnatomyRunner, boxes_csv: Path) -> tuple[dict, list[dict]]:
    """IoU of the heart mask's bounding box with each radiologist box, beside one constant central box.

    The constant box is the mean of all the boxes (fitted on the same boxes, so an optimistic baseline).
    """
    with boxes_csv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    boxes = np.array([[float(r["x"]), float(r["y"]), float(r["w"]), float(r["h"])] for r in rows])
    central = tuple(boxes.mean(axis=0))
    out, pictures = [], []
    for r, box in zip(rows, boxes):
        path = boxes_csv.parent / "images" / r["image"]
        if not path.is_file():
            path = boxes_csv.parent / r["image"]
        xray = load(path)
        res = runner.segment(xray)
        sy, sx = 1024 / xray.shape[0], 1024 / xray.shape[1]  # NIH boxes are in 1024 px units
        my, mx = 1024 / res.heart.shape[0], 1024 / res.heart.shape[1]  # the masks may be smaller than the film
        b = bbox(res.heart)
        b = None if b is None else (b[0] * mx, b[1] * my, b[2] * mx, b[3] * my)
        out.append(
            {
                "image": r["image"],
                "view": r.get("view", ""),
                "iou_heart": iou(b, tuple(box)),
                "iou_central": iou(central, tuple(box)),
                "ctr": res.ctr,
                "qc_reason": res.reason,
            }
        )
        truth = np.zeros(xray.shape, bool)  # the radiologist box, drawn in yellow
        x0, y0 = int(box[0] / sx), int(box[1] / sy)
        truth[y0 : int((box[1] + box[3]) / sy), x0 : int((box[0] + box[2]) / sx)] = True
        masks = tuple(res.at_image_size(m) for m in (res.heart, res.right_lung, res.left_lung))
        pictures.append((out[-1]["iou_heart"], xray, masks, truth, out[-1]))
    figs = {
        "n": len(out),
        "central_box": [round(v, 1) for v in central],
        "heart_box_iou": summary([o["iou_heart"] for o in out]),
        "central_box_iou": summary([o["iou_central"] for o in out]),
        "qc_failed": sum(o["ctr"] is None for o in out),
    }
    worst = sorted(pictures, key=lambda t: t[0])[:8]
    figs["_sheet"] = sheet(
        [
            case_figure(
                to_uint8(x.pixels),
                m,
                (t,),
                f"{o['image']} {o['view']} IoU "
                f"{o['iou_heart']:.2f} " + (f"CTR {o['ctr']:.2f}" if o["ctr"] else o["qc_reason"][:24]),
            )
            for _, x, m, t, o in worst
        ]
    )
    return figs, out


def write_pictures(rows: list[dict], out: Path, worst: int = 8) -> dict:
    paths = {}
    with_ref = [r for r in rows if r["keypoint_ctr"] is not None and r["ctr"] is not None]
    if len(with_ref) >= 2:
        save_png(
            out / "bland_altman.png",
            bland_altman_figure([r["ctr"] for r in with_ref], [r["keypoint_ctr"] for r in with_ref]),
            overwrite=True,
        )
        paths["bland_altman"] = "bland_altman.png"
    ranked = sorted(rows, key=lambda r: min(r["heart_dice"], r["lungs_dice"]))[:worst]
    figs = [
        case_figure(
            r["_gray"],
            r["_pred"],
            r["_truth"],
            f"{r['image'].split('/')[0]} heart {r['heart_dice']:.3f} lungs {r['lungs_dice']:.3f}"
            + (f" CTR {r['ctr']:.3f}/{r['keypoint_ctr']:.3f}" if r["ctr"] and r["keypoint_ctr"] else ""),
        )
        for r in ranked
    ]
    save_png(out / "failure_cases.png", sheet(figs), overwrite=True)
    paths["failure_cases"] = "failure_cases.png"
    return paths


def public_rows(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cardioview evaluate-anatomy")
    add_arguments(p)
    return run(p.parse_args(argv))


def add_arguments(p: argparse.ArgumentParser, *_command) -> None:
    p.add_argument("--weights", default="weights/cxr_anatomy", help="segmenter bundle folder")
    p.add_argument("--data", type=Path, help="heart-lung folder (jsrt/, wingspan/ with png/ and mask/)")
    p.add_argument("--split", type=Path, help="a training run's split.json: evaluate only --subset of it")
    p.add_argument("--subset", default="test", choices=("train", "val", "test"))
    p.add_argument("--ctr", type=Path, help="CSV image,ctr of reference CTRs (default: each source's ctr.csv)")
    p.add_argument("--boxes", type=Path, help="boxes.csv like ../shared/data/nih-boxes (image,x,y,w,h in 1024 px)")
    p.add_argument("--out", type=Path, required=True)


def run(args: argparse.Namespace) -> int:
    runner = AnatomyRunner(args.weights)
    args.out.mkdir(parents=True, exist_ok=True)
    metrics: dict = {"model": runner.model_id}
    if args.data:
        try:
            items = scan(args.data)
        except AnatomyDataError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.split:
            keep = set(json.loads(args.split.read_text())[args.subset])
            items = [it for it in items if it.key in keep]
        rows = evaluate_items(runner, items, read_ctr_csv(args.ctr) if args.ctr else None)
        metrics["segmentation"] = segmentation_figures(rows)
        metrics["pictures"] = write_pictures(rows, args.out)
        atomic_write_text(args.out / "per_image.json", json.dumps(public_rows(rows), indent=1), overwrite=True)
    if args.boxes:
        figs, per = box_figures(runner, args.boxes)
        save_png(args.out / "nih_box_cases.png", figs.pop("_sheet"), overwrite=True)
        metrics["boxes"] = figs
        atomic_write_text(args.out / "boxes_per_image.json", json.dumps(per, indent=1), overwrite=True)
    text = json.dumps(metrics, indent=2)
    atomic_write_text(args.out / "metrics.json", text + "\n", overwrite=True)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

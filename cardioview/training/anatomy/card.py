"""MODEL_CARD.md of the segmenter bundle, rendered from its manifest (figures) and the study outputs.

``python -m cardioview.training.anatomy.card --bundle weights/cxr_anatomy [--fusion fusion.json] [--benchmark TEXT]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cardioview.atomic import atomic_write_text


def _ci(d: dict, key: str = "mean", digits: int = 3) -> str:
    lo, hi = d.get("ci95", [float("nan")] * 2) if key == "mean" else d.get(f"{key}_ci95", [float("nan")] * 2)
    return f"{d[key]:.{digits}f} (95% CI {lo:.{digits}f} to {hi:.{digits}f})"


def _agreement(a: dict) -> str:
    return (
        f"MAE {_ci(a, 'mae', 4)}, bias {_ci(a, 'bias', 4)}, 95% limits of agreement "
        f"{a['loa95'][0]:+.4f} to {a['loa95'][1]:+.4f} (n={a['n']})"
    )


def render(manifest: dict, fusion: dict | None, benchmark: str | None, notes: str = "") -> str:
    t, f = manifest["training"], manifest.get("figures", {})
    seg, boxes = f.get("segmentation", {}), f.get("boxes")
    cfg = t["config"]
    lines = [
        "# cxr_anatomy — heart and lung segmentation, cardiothoracic ratio",
        "",
        f"> {manifest['intended_use_text']}",
        "",
        "## Model",
        f"- U-Net (base width {manifest['architecture']['base']}, depth {manifest['architecture']['depth']}), "
        f"{manifest['parameters']:,} parameters, random initialisation, trained from scratch on CPU. Written in plain "
        "torch "
        "(cardioview/model/segmenter.py): segmentation-models-pytorch's smallest encoder (resnet18, 11M parameters, 22 "
        "MB in fp16) alone would exceed the ~10 MB left for the segmenter in the 60 MB weights budget.",
        "- Outputs 3 sigmoid channels: heart, right lung (image left), left lung (image right); threshold 0.5; largest "
        "blob each.",
        f"- Input: {cfg['input_size']} px, preprocessing shared with the classifier: "
        + "; ".join(manifest["preprocessing"]["steps"])
        + ".",
        "- Files: model.safetensors (fp16), model.onnx (fp16 initialisers cast to fp32 at load, ONNX Runtime), "
        "manifest.json (sha256 of both).",
        "",
        "## Data and licences",
        "- JSRT database (Shiraishi et al., AJR 2000) with the SCR masks (van Ginneken et al., Med Image Anal 2006): "
        "247 films, research use.",
        "- Extended Wingspan CTR set (Dong et al., MICCAI 2018), MIT licence: 169 films with masks, 131 with a "
        "radiologist key-point CTR.",
        f"- Own split, seeded ({t['split_seed']}), stratified by source and by having a key-point CTR: "
        + ", ".join(f"{k} {v}" for k, v in t["split"].items())
        + " (listed in the manifest as test_images and in the "
        "run's split.json).",
        "",
        "## Recipe",
        f"- AdamW lr {cfg['lr']}, weight decay {cfg['weight_decay']}, batch {cfg['batch_size']}, warm-up + cosine over "
        "a "
        f"{cfg['max_minutes']:.0f}-minute budget ({t['epochs']} epochs on 1 CPU thread beside another training), best "
        "epoch "
        f"{t['best_epoch']} by validation Dice (heart {t['validation_dice']['heart']:.4f}, lungs "
        f"{t['validation_dice']['lungs']:.4f}).",
        "- Loss: BCE + soft Dice per channel. Augmentation: rotation ±{rotate_deg}°, shift ±{shift:.0%}, scale "
        "±{scale:.0%}, gamma "
        "exp(±{gamma}), contrast ±{contrast:.0%}, brightness ±{brightness}, Gaussian noise {noise}; no horizontal "
        "flips (left and right are anatomy).".format(**cfg["augment"]),
        "- Command: `cardioview train-anatomy --data ../shared/data/heart-lung --out ~/cardioview-runs/anatomy "
        f"--base {cfg['base']} --input-size {cfg['input_size']} --threads {cfg.get('threads') or 0} --max-minutes "
        f"{cfg['max_minutes']:.0f}`, "
        "then `python -m cardioview.training.anatomy.bundle_writer --run RUN --out weights/cxr_anatomy --figures "
        "EVAL/metrics.json`.",
        "",
        "## The measurement",
        "CTR = maximal transverse cardiac diameter / maximal internal thoracic diameter. Heart: from the silhouette's "
        "rightmost to "
        "its leftmost point. Thorax: from the right lung's outer margin to the left lung's outer margin. On the 131 "
        "Wingspan films "
        "with a key-point CTR, using their **ground-truth masks**, this reproduces the key-point CTR with MAE 0.0012 "
        "(bias +0.0002); measuring the thorax on one row gives MAE 0.0047 (bias +0.0044), the heart on one row MAE "
        "0.0123 "
        "(bias -0.0122), so the extreme-to-extreme definition is used. Calipers are drawn on the widest row of each "
        "structure.",
        "",
        'Quality check before a CTR is shown: lateral views none; each lung ≥1.5% of the image (else "lungs not '
        'found"), heart '
        '≥1% ("heart not found"), the smaller lung ≥35% of the larger and each lung\'s inner edge beside the heart '
        '(else "lungs not found"); heart ≤30%, lungs ≤40%, ≥60% of each structure in its largest blob, right lung – '
        "heart – left "
        'lung in that order left to right, heart not above the lungs (else "not a frontal chest film"); CTR within '
        "0.25–0.90. "
        "AP films get the CTR with the warning that AP magnifies the heart. On the ground-truth masks of all 416 "
        "JSRT/Wingspan films "
        "the check passes 415 (one Wingspan film's heart centre is not between its lungs' centres).",
        "",
        "## Figures on the test split (ONNX Runtime, as shipped: these films are 512 px, the size the viewer measures "
        "on)",
    ]
    if seg:
        n = seg["heart_dice"]["n"]
        lines += [
            f"- Heart Dice {_ci(seg['heart_dice'])} (target ≥ 0.93), n={n}",
            f"- Lungs Dice (both lungs as one mask) {_ci(seg['lungs_dice'])} (target ≥ 0.96); right lung "
            f"{_ci(seg['right_lung_dice'])}, left lung {_ci(seg['left_lung_dice'])}",
        ]
        if "ctr_vs_keypoint" in seg:
            lines.append(
                "- CTR vs radiologist key-point CTR (Wingspan test films): "
                f"{_agreement(seg['ctr_vs_keypoint'])} (target MAE ≤ 0.025)"
            )
            lines.append(
                "- Same films, CTR from the ground-truth masks vs key-point: "
                f"{_agreement(seg['gt_mask_ctr_vs_keypoint'])}"
            )
        if "ctr_vs_gt_mask" in seg:
            lines.append(
                f"- CTR vs CTR of the ground-truth masks (all test films): {_agreement(seg['ctr_vs_gt_mask'])}"
            )
        lines.append(
            f"- Quality check refused {len(seg['qc_failed'])} of {n} test films"
            + (": " + "; ".join(f"{q['image']} ({q['reason']})" for q in seg["qc_failed"]) if seg["qc_failed"] else ".")
        )
        lines += [
            "",
            "Bland-Altman plot of the automatic vs key-point CTR:",
            "",
            "![Bland-Altman](bland_altman.png)",
            "",
        ]
    if boxes:
        lines += [
            "## On NIH films (../shared/data/nih-boxes, 96 films with a radiologist Cardiomegaly box)",
            f"- IoU of the heart mask's bounding box with the radiologist box: {_ci(boxes['heart_box_iou'])}; "
            f"a constant central box (the mean of all the boxes, so fitted on them): {_ci(boxes['central_box_iou'])}. "
            f"The quality check refused {boxes['qc_failed']} of {boxes['n']} films.",
            "",
            "The 8 NIH films whose heart box matched the radiologist's box worst (radiologist box in yellow):",
            "",
            "![NIH cases](nih_box_cases.png)",
            "",
        ]
    if fusion:
        v, te = fusion["val"], fusion["test"]
        fig = lambda d: f"{d['auroc']:.3f} (95% CI {d['ci95'][0]:.3f}-{d['ci95'][1]:.3f})"  # noqa: E731
        lines += [
            "## CTR as a second signal (cxr128, 128 px equalised films upsampled to the segmenter's input)",
            f"- The classifier's own validation/test lists (seed 0, group-aware; {v['n']} / {te['n']} films). "
            f"The quality check refused {fusion['qc_failed']['val']} / {fusion['qc_failed']['test']}; those get "
            f"validation's median CTR {fusion['ctr_missing_filled_with']:.3f}.",
            f"- Test AUROC: classifier {fig(te['classifier'])}; CTR alone {fig(te['ctr'])}; logistic fusion of logit P "
            f"and CTR fitted on validation {fig(te['fusion'])}.",
            f"- Validation: classifier {fig(v['classifier'])}, CTR {fig(v['ctr'])}, fusion (5-fold cross-validated) "
            f"{fig(v['fusion_5fold_cv'])}.",
            f"- Fusion coefficients {', '.join(f'{c:+.3f}' for c in fusion['fusion_model']['coef'])} (logit P, CTR), "
            f"intercept {fusion['fusion_model']['intercept']:+.3f}.",
            "",
        ]
    if benchmark:
        lines += ["## Speed", "```", benchmark.strip(), "```", ""]
    lines += [
        "## Failure cases",
        "The test films with the lowest Dice (predicted outlines: heart red, right lung blue, left lung green; ground "
        "truth yellow):",
        "",
        "![failure cases](failure_cases.png)",
        "",
        "## Limitations",
        "- Trained on 291 films from two sources (Japanese JSRT, Chinese Wingspan), adults, PA; NIH ChestX-ray14 films "
        "(AP, portable, "
        "devices, lower quality) are out of its training distribution: check the outlines.",
        "- The CTR is a PA criterion; AP films magnify the heart. Mirrored films or dextrocardia are not detected: the "
        "network labels the lungs by position.",
        "- Lateral films are refused only when the view is recorded (DICOM ViewPosition); a lateral PNG is judged by "
        "the outlines alone.",
    ]
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--bundle", type=Path, default=Path("weights/cxr_anatomy"))
    p.add_argument("--fusion", type=Path)
    p.add_argument("--benchmark", type=Path, help="text file with the benchmark's output")
    p.add_argument("--notes", type=Path)
    a = p.parse_args(argv)
    manifest = json.loads((a.bundle / "manifest.json").read_text())
    text = render(
        manifest,
        json.loads(a.fusion.read_text()) if a.fusion else None,
        a.benchmark.read_text() if a.benchmark else None,
        a.notes.read_text() if a.notes else "",
    )
    atomic_write_text(a.bundle / "MODEL_CARD.md", text, overwrite=True)
    print(a.bundle / "MODEL_CARD.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

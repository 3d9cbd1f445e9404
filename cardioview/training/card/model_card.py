"""MODEL_CARD.md from a bundle's manifest: every figure is read from what was measured, none typed by hand.

Free text that only a person can write (why this recipe, what was not run)
comes in as ``notes``: a dict of section title -> markdown, usually read from a
notes file whose ``## Title`` sections name the card's sections
(:func:`read_notes`). The ablation table comes from ``cardioview compare``'s
comparison.json, the attention-options table from ``head_probe``'s probe.json
files, the contact-sheet table from :func:`contact_sheet`'s rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from cardioview.atomic import atomic_write_text
from cardioview.model.bundle import load_bundle
from cardioview.training.card.card_tables import refit_sections


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _f(x, nd: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def results_table(ev: dict) -> str:
    lines = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, c in ev["per_class"].items():
        lines.append(f"| {name} | {_f(c['precision'])} | {_f(c['recall'])} | {_f(c['f1'])} | {c['support']} |")
    w = ev["weighted_avg"]
    lines.append(
        f"| support-weighted avg | {_f(w['precision'])} | {_f(w['recall'])} | {_f(w['f1'])} | {w['support']} |"
    )
    return "\n".join(lines)


def attention_table(a: dict) -> str:
    rs, mr = a["relative_spread"], a["mass_ratio"]
    return "\n".join(
        [
            "| figure | measured | target | issue's 224 px probe |",
            "|---|---|---|---|",
            f"| relative spread (p90-p10)/p90, median | {_f(rs.get('median'))} (p10 {_f(rs.get('p10'))}, p90 "
            f"{_f(rs.get('p90'))}) | >= 0.5 | n/a |",
            f"| mass ratio in cardiac region, median | {_f(mr.get('median'))} "
            f"(mean {_f(mr.get('mean'))}) | >= 2.0 | 1.72 |",
            f"| pointing game (peak in cardiac region) | {_f(a['pointing_rate'])} | >= 0.8 | 0.47 |",
            f"| faithfulness (deletion test) | {_f(a['faithfulness_rate'])} | >= 0.85 | 0.80 |",
            *[
                f"| deletion test with {float(k):.0%} of the area (not a training target) | {_f(v)} | | |"
                for k, v in (a.get("faithfulness_by_share") or {}).items()
            ],
            *(
                [
                    "| deletion test, area blurred instead of flattened (not a training target) | "
                    f"{_f(a['faithfulness_blurred'])} | | |"
                ]
                if a.get("faithfulness_blurred") is not None
                else []
            ),
            f"| W range on these images (median min / median max) | {a['w_min'].get('median', 0):.4f} / "
            f"{a['w_max'].get('median', 0):.4f} | | 0.001-0.08 |",
            f"| mean P drop: top-20% deleted vs same area at random | {_f(a['probability_drop_top20'].get('mean'))} vs "
            f"{_f(a['probability_drop_random'].get('mean'))} | | |",
            *(
                [
                    "| mean P drop, blurred: top-20% vs same area at random | "
                    f"{_f(a['probability_drop_top20_blurred'].get('mean'))} vs "
                    f"{_f(a['probability_drop_random_blurred'].get('mean'))} | | |"
                ]
                if "probability_drop_top20_blurred" in a
                else []
            ),
        ]
    )


def box_table(loc: dict) -> str:
    """The map against radiologists' boxes beside the central blob (Wang et al.'s scoring)."""
    lines = [
        "| map | films | pointing | IoBB > 0.5 | IoU > 0.3 | IoU > 0.5 | mean IoU (T=60) | mean IoU (T=180) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = (
        [("attention W", loc["model"])]
        + [(f"attention W, {k[6:]} films", v) for k, v in loc.items() if k.startswith("model_")]
        + [("constant central blob", loc["central_blob"])]
    )
    for name, r in rows:
        t, t180 = r["t60"], r["t180"]
        lines.append(
            f"| {name} | {r['films']} | {_f(r['pointing_rate'])} | {_f(t['iobb_gt_0.5'])} | "
            f"{_f(t['iou_gt_0.3'])} | "
            f"{_f(t['iou_gt_0.5'])} | {_f(t['mean_iou'])} | {_f(t180['mean_iou'])} |"
        )
    a = loc.get("attention")
    if a:
        lines += [
            "",
            f"On the same films: deletion test (faithfulness) {_f(a['faithfulness_rate'])}, relative spread "
            f"(median) {_f(a['relative_spread'].get('median'))}, mass ratio in the median cardiac box "
            "(median) "
            f"{_f(a['mass_ratio'].get('median'))}.",
        ]
    return "\n".join(lines)


def epochs_table(epochs: list[dict]) -> str:
    deletion = any(e.get("deletion_loss") for e in epochs)
    lines = [
        "| epoch | train size | train loss | val loss | val AUROC | images/s | minutes |"
        + (" deletion loss |" if deletion else ""),
        "|---|---|---|---|---|---|---|" + ("---|" if deletion else ""),
    ]
    for e in epochs:
        best = " (best)" if e.get("best") == "1" else ""
        lines.append(
            f"| {e['epoch']}{best} | {e['train_size']} | {float(e['train_loss']):.4f} | "
            f"{float(e['val_loss']):.4f} "
            f"| {float(e['val_auroc']):.4f} | {float(e['images_per_s']):.1f} | "
            f"{float(e['elapsed_s']) / 60:.1f} |"
            + (
                f" {float(e['deletion_loss']):.4f} |"
                if deletion and e.get("deletion_loss")
                else " |"
                if deletion
                else ""
            )
        )
    return "\n".join(lines)


def read_notes(path: Path) -> dict[str, str]:
    """``## Title`` sections of a markdown file -> {title: text}; text before the first heading is ignored."""
    notes, title = {}, None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^##\s+(.+?)\s*$", line)
        if heading:
            title = heading.group(1)
            notes[title] = ""
        elif title is not None:
            notes[title] += line + "\n"
    return {k: v.strip() for k, v in notes.items()}


def contact_sheet_table(rows: list[dict]) -> str:
    lines = ["| image | truth | P(cardiomegaly) | called | W min-max |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['image']} | {'cardiomegaly' if r['label'] else 'no cardiomegaly'} | {r['probability']:.3f} | "
        f"{'positive' if r['positive'] else 'negative'} | {r['w_min']:.4f}-{r['w_max']:.4f} |"
        for r in rows
    ]
    return "\n".join(lines)


def _p_value(p: float, resamples: int) -> str:
    """'= 0.042', or '< 0.0005' when no resample crossed zero (the bootstrap cannot resolve smaller)."""
    return f"< {1 / resamples:.4f}" if p == 0 else f"= {p:.3f}"


def ablation_table(comparison: dict) -> str:
    """One row per model of a ``cardioview compare`` result, then the paired AUROC differences."""
    has_attention = all("attention" in r for r in comparison["models"])
    head = "| model | AUROC (95% CI) | weighted F1 | sensitivity | specificity | threshold | ECE |"
    rule = "|---|---|---|---|---|---|---|"
    if has_attention:
        head += " mass ratio | pointing | faithfulness |"
        rule += "---|---|---|"
    lines = [head, rule]
    for r in comparison["models"]:
        ci = r.get("auroc_ci95") or [None, None]
        row = (
            f"| {r['label']} | {_f(r['auroc'])} ({_f(ci[0])}-{_f(ci[1])}) | {_f(r['weighted_avg']['f1'])} | "
            f"{_f(r['sensitivity'])} | {_f(r['specificity'])} | {_f(r['threshold'])} | {_f(r['ece'])} |"
        )
        if has_attention:
            a = r["attention"]
            row += f" {_f(a['mass_ratio'].get('median'))} | {_f(a['pointing_rate'])} | {_f(a['faithfulness_rate'])} |"
        lines.append(row)
    lines.append("")
    lines += [
        f"- AUROC {p['a']} minus {p['b']}: **{p['delta']:+.3f}** (paired bootstrap 95% CI {p['ci95'][0]:+.3f} to "
        f"{p['ci95'][1]:+.3f}, two-sided p {_p_value(p['p_value'], p['resamples'])}, {p['resamples']} resamples)"
        for p in comparison["pairs"]
    ]
    lines.append(
        f"- {comparison['images']} images ({comparison['positives']} cardiomegaly); each model at its own "
        "validation-chosen threshold and temperature."
    )
    return "\n".join(lines)


def probe_table(probes: list[dict]) -> str:
    """Rows of ``head_probe`` results (probe.json), one per variant, with the options each changed."""
    lines = [
        "| probe | variant | bias | mean-W penalty | entropy | TV | val AUROC | test AUROC | val mass ratio | "
        "val pointing | test spread | test mass ratio | test pointing | test faithfulness |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k, probe in enumerate(probes, 1):
        for r in probe["rows"]:
            o, a, v = r["options"], r["attention"], r.get("val_attention", {})
            lines.append(
                f"| {k} | {r['variant']} | {o['attention_bias']:g} | {o['attention_penalty']:g} | "
                f"{o['attention_entropy']:g} | {o['attention_tv']:g} | {_f(r['val_auroc'])} | {_f(r['test_auroc'])} | "
                f"{_f(v.get('mass_ratio_median'), 2)} | {_f(v.get('pointing_rate'), 2)} | "
                f"{_f(a['relative_spread']['median'], 2)} | {_f(a['mass_ratio']['median'], 2)} | "
                f"{_f(a['pointing_rate'], 2)} | {_f(a['faithfulness_rate'], 2)} |"
            )
    runs = "; ".join(
        f"probe {k}: {p['run']}, {p['epochs']} epochs, lr {p['lr']:g}, attention figures on "
        f"{p['rows'][0]['attention']['images']} test cardiomegaly images"
        for k, p in enumerate(probes, 1)
    )
    return "\n".join(lines) + f"\n\n({runs}.)"


def render_card(
    manifest: dict,
    notes: dict[str, str],
    comparison: dict | None = None,
    sheet_rows: list[dict] | None = None,
    probes: list[dict] | None = None,
) -> str:
    """The card's markdown."""
    arch, pre, cal = manifest["architecture"], manifest["preprocessing"], manifest["calibration"]
    ev, tr = manifest.get("evaluation", {}), manifest.get("training", {})
    cfg, res = tr.get("config", {}), tr.get("result", {})
    op = manifest["validation_operating_point"]
    out = [
        f"# Model card: {manifest['name']} ({arch.get('display_name', '')})",
        "",
        f"**Intended use:** {manifest['intended_use_text']}",
        "",
    ]
    out += [notes.get("Summary", ""), ""]
    out += [
        "## Data",
        "",
        notes.get("Data", ""),
        "",
        f"Split: {tr.get('split', {}).get('train', '?')} train, {tr.get('split', {}).get('val', '?')} validation, "
        f"{tr.get('split', {}).get('test', '?')} held-out test. Grouping: "
        f"{tr.get('split', {}).get('grouping', {})}.",
        "",
    ]
    out += ["## Preprocessing (recorded in manifest.json; the Predictor repeats it)", ""]
    out += [f"{i + 1}. {s}" for i, s in enumerate(pre.get("steps", []))] + [""]
    out += [
        "## Training recipe",
        "",
        notes.get("Recipe", ""),
        "",
        f"Configuration: backbone {cfg.get('backbone')}, head {cfg.get('head')}, dropout {cfg.get('dropout')}, "
        f"attention bias {cfg.get('attention_bias')}, attention penalty {cfg.get('attention_penalty')}, "
        f"attention entropy term {cfg.get('attention_entropy', 0.0)}, attention TV term "
        f"{cfg.get('attention_tv', 0.0)}, "
        f"optimizer {cfg.get('optimizer')} lr {cfg.get('lr')} weight decay {cfg.get('weight_decay')}, "
        f"output stride {cfg.get('output_stride', 32)}, schedule {cfg.get('schedule')}, batch "
        f"{cfg.get('batch_size')}, input {cfg.get('input_size')} px "
        f"(first {cfg.get('low_res_fraction')} of the budget at {cfg.get('low_res_size')} px), "
        f"time budget {cfg.get('max_minutes')} min, seed {cfg.get('seed')}, augmentation {cfg.get('augment')}.",
        "",
        f"Run: {res.get('epochs')} epochs in {float(res.get('elapsed_s', 0)) / 60:.1f} min on "
        f"{res.get('runtime')}, "
        f"stopped by {res.get('stopped_by')}; kept epoch {res.get('best_epoch')} (lowest validation loss at "
        f"{cfg.get('input_size')} px).",
        "",
        epochs_table(tr.get("epochs", [])),
        "",
    ]
    if ev:
        ci = ev.get("auroc_ci95") or [None, None]
        out += [
            "## Results on the held-out test split",
            "",
            f"{ev['images']} images ({ev['positives']} cardiomegaly), never used for training, model selection, "
            "calibration or the threshold.",
            "",
            f"- **AUROC {_f(ev['auroc'])}** (95% bootstrap CI {_f(ci[0])}-{_f(ci[1])}, "
            f"{ev.get('bootstrap_resamples')} resamples)",
            f"- accuracy {_f(ev['accuracy'])}; sensitivity {_f(ev['sensitivity'])}, specificity "
            f"{_f(ev['specificity'])} "
            f"at the shipped threshold {_f(manifest['threshold'])}",
            f"- expected calibration error (15 bins) {_f(ev['ece'])}",
            "",
            results_table(ev),
            "",
            "Confusion matrix (rows true, columns predicted; no cardiomegaly, cardiomegaly): "
            f"{ev['confusion_matrix']['rows_true_cols_predicted']}",
            "",
        ]
    out += [
        "## Threshold and calibration",
        "",
        f"- threshold {_f(manifest['threshold'], 4)}: {manifest.get('threshold_rule', '')}; on validation it gives "
        f"sensitivity {_f(op['sensitivity'])} and specificity {_f(op['specificity'])} "
        f"(validation AUROC {_f(manifest.get('validation_auroc'))}).",
        f"- temperature scaling: T = {_f(cal['temperature'], 3)} fitted on validation; validation ECE "
        f"{_f(cal['ece_before'])} before, {_f(cal['ece_after'])} after. The ONNX export has T baked in"
        + (
            f"; the {cal['recalibration']['method']} map after it ("
            + ", ".join(f"{k} {v:.3f}" for k, v in cal["recalibration"].items() if isinstance(v, float))
            + ") is applied by the Predictor (*Calibration methods*)."
            if cal.get("recalibration")
            else "."
        ),
        "- torch vs ONNX Runtime on real validation images: max |dP| = "
        f"{manifest['onnx_parity']['max_abs_probability_diff']:.2e}, "
        f"max |dW| = {manifest['onnx_parity']['max_abs_attention_diff']:.2e} (both from the same fp16-rounded "
        "weights).",
        "",
    ]
    out += refit_sections(manifest, notes)
    if ev.get("attention"):
        a = ev["attention"]
        out += [
            "## Attention map W",
            "",
            f"Measured on the {a['images']} cardiomegaly images of the test split at {pre['input_size']} px "
            f"(feature map {pre['input_size'] // arch.get('output_stride', 32)}x"
            f"{pre['input_size'] // arch.get('output_stride', 32)}); cardiac region = median NIH "
            f"cardiomegaly box {a['cardiac_region']} (normalised x0, y0, x1, y1).",
            "",
            attention_table(a),
            "",
            notes.get("Attention", ""),
            "",
        ]
    if ev.get("box_localisation"):
        loc = ev["box_localisation"]
        out += [
            "## Attention against radiologists' boxes",
            "",
            f"{loc['source']}: {loc['films_split']}. {loc['definition']}.",
            "",
            box_table(loc),
            "",
            notes.get("Boxes", ""),
            "",
        ]
    generated = {
        "Ablation": ablation_table(comparison) if comparison else "",
        "Attention options": probe_table(probes) if probes else "",
        "Contact sheet": contact_sheet_table(sheet_rows) if sheet_rows else "",
    }
    for title in ("Ablation", "Attention options", "Contact sheet", "Not run", "Limitations", "Reproduce"):
        if notes.get(title) or generated.get(title):
            out += [f"## {title}", "", notes.get(title, ""), "", generated.get(title, ""), ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


def write_model_card(
    bundle: Path,
    notes: dict[str, str],
    overwrite: bool = True,
    comparison: dict | None = None,
    sheet_rows: list[dict] | None = None,
    probes: list[dict] | None = None,
) -> Path:
    """Write BUNDLE/MODEL_CARD.md, beside the manifest it describes."""
    b = load_bundle(bundle)
    path = Path(bundle) / "MODEL_CARD.md"
    atomic_write_text(
        path, render_card(b.manifest, notes, comparison, sheet_rows, probes).rstrip() + "\n", overwrite=overwrite
    )
    return path

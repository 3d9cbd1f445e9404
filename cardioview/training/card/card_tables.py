"""Model-card tables for issue 19's figures: pairs, calibration methods, reliability, prevalence, views.

Every number is read from the manifest written by ``cardioview refit`` (training/classifier/refit.py)
and, for the estimated views, ``cardioview views`` (training/evaluation/view_manifest.py).
"""

from __future__ import annotations


def _f(x, nd: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _pct(x) -> str:
    return f"{100 * x:.0f} %"


def pairs_table(pairs: dict) -> str:
    """Thumbnail vs full-size film of the same NIH film, before and after preprocessing version 2."""
    lines = [
        f"{pairs['films']} films, {pairs['source']}. As thumbnails the model gives mean P "
        f"{_f(pairs['thumbnail_mean_probability'])} and sensitivity {_f(pairs['thumbnail_sensitivity'])} at the "
        "shipped threshold.",
        "",
        "| full-size film prepared with | median pixel correlation with the thumbnail | median abs(dP) | mean dP "
        "| correlation of P | mean P | sensitivity |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("before", "after"):
        e = pairs[name]
        lines.append(
            f"| preprocessing version {e['preprocessing_version']} ({name}) | "
            f"{_f(e['median_pixel_correlation'], 4)} | {_f(e['median_abs_dp'], 4)} | {_f(e['mean_dp'], 4)} | "
            f"{_f(e['probability_correlation'])} | {_f(e['full_size_mean_probability'])} | "
            f"{_f(e['full_size_sensitivity'])} |"
        )
    return "\n".join(lines)


def calibration_methods_table(cal: dict, evaluation: dict) -> str:
    """The maps compared on validation, the one chosen, and test ECE before and after."""
    chosen = cal.get("recalibration", {}).get("method")
    lines = [
        "| map after T (fitted on validation) | validation log loss, 5-fold CV | validation ECE, 5-fold CV "
        "| validation ECE (fitted on all of it) | test ECE | chosen |",
        "|---|---|---|---|---|---|",
        f"| temperature only (the previous bundle) | {_f(cal.get('nll_after'))} (not CV) | | "
        f"{_f(cal.get('ece_after'))} | {_f(evaluation.get('ece_before_recalibration'))} | |",
    ]
    for name, e in cal.get("compared", {}).items():
        lines.append(
            f"| {name} | {_f(e['log_loss_validation_cv5'])} | {_f(e['ece_validation_cv5'])} | "
            f"{_f(e['ece_validation'])} | {_f(e['ece_test'])} | {'**yes**' if name == chosen else ''} |"
        )
    return "\n".join(lines)


def reliability_table(evaluation: dict) -> str:
    """The reliability diagram as a table: observed rate per predicted-probability bin, test split."""
    before = evaluation.get("reliability_before_recalibration") or []
    after = evaluation.get("reliability") or []
    lines = [
        "| predicted P bin | before: films | before: mean P | before: observed rate | after: films "
        "| after: mean P | after: observed rate |",
        "|---|---|---|---|---|---|---|",
    ]
    for b, a in zip(before, after):
        lines.append(
            f"| {b['lo']:.1f}-{b['hi']:.1f} | {b['count']} | {_f(b['mean_probability'])} | "
            f"{_f(b['positive_rate'])} | {a['count']} | {_f(a['mean_probability'])} | "
            f"{_f(a['positive_rate'])} |"
        )
    return "\n".join(lines)


def prevalence_markdown(evaluation: dict) -> str:
    """PPV and NPV at the shipped threshold by prevalence, from validation's and test's operating points."""
    lines = [
        "| prevalence | PPV (validation op.) | NPV (validation op.) | PPV (test op.) | NPV (test op.) |",
        "|---|---|---|---|---|",
    ]
    for v, t in zip(evaluation.get("prevalence_validation", []), evaluation.get("prevalence_test", [])):
        lines.append(f"| {v['prevalence']:.1%} | {_f(v['ppv'])} | {_f(v['npv'])} | {_f(t['ppv'])} | {_f(t['npv'])} |")
    return "\n".join(lines)


def views_table(views: dict) -> str:
    """Sensitivity by view on the boxed films (all cardiomegaly)."""
    lines = ["| view | films | mean P | sensitivity at the shipped threshold |", "|---|---|---|---|"]
    for view, e in views.items():
        lines.append(f"| {view} | {e['films']} | {_f(e['mean_probability'])} | {_f(e['sensitivity'])} |")
    return "\n".join(lines)


def _ci(ci) -> str:
    return f"{ci[0]:.3f}-{ci[1]:.3f}" if ci else "n/a"


def estimated_views_markdown(section: dict) -> str:
    """Per estimated view on validation and test, the estimator's accuracy and the per-view threshold decision."""
    est, decision = section["estimator"], section["per_view_threshold"]
    per_view = ", ".join(f"{v} {_f(a)}" for v, a in est["accuracy_per_view"].items())
    lines = [
        f"Estimated view (the splits' thumbnails carry no view): {est['features']}, trained on {est['films']} films "
        f"of known view ({est['training_films']}; {est['patients']} patients). Cross-validated accuracy "
        f"{_f(est['accuracy'])} ({per_view}; {est['method']}); on the {est['cardiomegaly_free_films']} "
        f"cardiomegaly-free films ({est['cardiomegaly_free_patients']} patients, all PA) "
        f"{_f(est['accuracy_cardiomegaly_free'])}.",
        "",
        f"| split | estimated view | films | cardiomegaly / other | AUROC (95% CI) | sensitivity | specificity "
        f"(at {_f(section['threshold'])}) |",
        "|---|---|---|---|---|---|---|",
    ]
    for split in ("validation", "test"):
        for view, e in section[split]["views"].items():
            lines.append(
                f"| {split} | {view} | {e['films']} | {e['positives']} / {e['negatives']} | {_f(e['auroc'])} "
                f"({_ci(e['auroc_ci95'])}) | {_f(e['sensitivity'])} ({e['true_positives']}/{e['positives']}) | "
                f"{_f(e['specificity'])} ({e['true_negatives']}/{e['negatives']}) |"
            )
    shares = [
        f"{split}: {_pct(s['estimated_ap_share']['cardiomegaly'])} of cardiomegaly films, "
        f"{_pct(s['estimated_ap_share']['other'])} of the others"
        for split, s in ((k, section[k]) for k in ("validation", "test"))
    ]
    known = [str(section[k].get("known_view_films", 0)) for k in ("validation", "test")]
    lines += [
        "",
        f"{' and '.join(known)} of the validation and test films are thumbnails of boxed films: their known view "
        f"is used. Films estimated AP: {'; '.join(shares)}.",
    ]
    if section.get("nih_ap_share"):
        n = section["nih_ap_share"]
        lines[-1] += (
            f" Across NIH ChestX-ray14 ({n['films']:,} films) {_pct(n['cardiomegaly'])} of cardiomegaly films and "
            f"{_pct(n['other'])} of the others are AP."
        )
    thresholds = ", ".join(f"{v} {_f(t)}" for v, t in decision["youden_thresholds_validation"].items())
    lines += [
        "",
        f"Per-view threshold: Youden on validation per estimated view gives {thresholds}; on test Youden J "
        f"{_f(decision['test_youden_per_view'])} with them against {_f(decision['test_youden_shipped'])} with the "
        f"shipped threshold (reported, not used to decide). **{'Adopted' if decision['adopted'] else 'Not adopted'}**: "
        f"{decision['reason']}.",
    ]
    return "\n".join(lines)


def refit_sections(manifest: dict, notes: dict[str, str]) -> list[str]:
    """The card's lines for the refit figures (empty for a bundle that was not refitted)."""
    ev, cal = manifest.get("evaluation", {}), manifest.get("calibration", {})
    out: list[str] = []
    if ev.get("pairs"):
        out += [
            "## Full-size films against their thumbnails",
            "",
            pairs_table(ev["pairs"]),
            "",
            notes.get("Pairs", ""),
            "",
        ]
    if cal.get("recalibration"):
        out += [
            "## Calibration methods",
            "",
            f"Chosen by {cal.get('recalibration_rule', '')}; validation ECE after it "
            f"{_f(cal.get('ece_validation_after_recalibration'))}, test ECE {_f(ev.get('ece'))}.",
            "",
            calibration_methods_table(cal, ev),
            "",
            "Reliability diagram on the held-out test split (10 bins), before (temperature only) and after:",
            "",
            reliability_table(ev),
            "",
            notes.get("Calibration", ""),
            "",
        ]
    if ev.get("prevalence_validation"):
        out += [
            "## What the threshold means at your prevalence",
            "",
            f"The probability is calibrated at the training source's 50 % prevalence. At the shipped threshold "
            f"{_f(manifest['threshold'])}:",
            "",
            prevalence_markdown(ev),
            "",
            notes.get("Prevalence", ""),
            "",
        ]
    if ev.get("views_boxed_films") or ev.get("views_estimated"):
        out += ["## By view", ""]
        if ev.get("views_boxed_films"):
            out += ["Known view: the NIH films with boxes (training films, all cardiomegaly).", ""]
            out += [views_table(ev["views_boxed_films"]), ""]
        if ev.get("views_estimated"):
            out += [estimated_views_markdown(ev["views_estimated"]), ""]
        out += [notes.get("Views", ""), ""]
    if manifest.get("ensemble_measurement"):
        out += [
            "## AMM + GAP ensemble",
            "",
            ensemble_markdown(manifest["ensemble_measurement"]),
            "",
            notes.get("Ensemble", ""),
            "",
        ]
    return out


def _auroc_ci(e: dict) -> str:
    ci = e.get("auroc_ci95") or [None, None]
    return f"{_f(e['auroc'])} ({_f(ci[0])}-{_f(ci[1])})"


def _delta(p: dict) -> str:
    return (
        f"**{p['delta']:+.4f}** (paired bootstrap 95% CI {p['ci95'][0]:+.4f} to {p['ci95'][1]:+.4f}, "
        f"p = {p['p_value']:.3f}, {p['resamples']} resamples)"
    )


def ensemble_markdown(result: dict) -> str:
    """``cardioview compare --ensemble``'s comparison.json (or the manifest's ``ensemble_measurement``) as markdown."""
    split, decision, cost = result["split"], result["decision"], result.get("cost") or {}
    lines = [
        f"Films: the training split rebuilt (seed {split['seed']}), preprocessing version "
        f"{split['preprocessing_version']}: validation {split['validation']}, test {split['test']}. "
        f"Ensemble: {result['ensemble_rule']}. Every row's calibration and threshold are fitted on validation "
        "the same way (the map with the lowest 5-fold cross-validated log loss, Youden threshold).",
        "",
        "| model | validation AUROC (95% CI) | test AUROC (95% CI) | calibration | threshold "
        "| validation sens. / spec. | test sens. / spec. | test ECE (T only / calibrated) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["models"]:
        v, t = r["validation"], r["test"]
        lines.append(
            f"| {r['label']} | {_auroc_ci(v)} | {_auroc_ci(t)} | {r['calibration']['method']} | "
            f"{_f(r['threshold'])} | {_f(v['sensitivity'])} / {_f(v['specificity'])} | "
            f"{_f(t['sensitivity'])} / {_f(t['specificity'])} | {_f(t['ece_temperature_only'])} / {_f(t['ece'])} |"
        )
    lines.append("")
    for name in ("validation", "test"):
        for p in result["pairs"][name]:
            lines.append(
                f"- AUROC on {name}{' (deciding)' if name == 'validation' else ''}, {p['a']} minus {p['b']}: "
                + _delta(p)
            )
    if cost:
        lines.append(
            f"- Cost ({cost.get('images')} nih1024 films, median of {cost.get('repeats')} interleaved runs, "
            f"{cost.get('machine', 'this machine')}): end-to-end predict {_f(cost.get('ensemble_ms'), 1)} ms against "
            f"{_f(cost.get('single_ms'), 1)} ms, **{_f(cost.get('end_to_end_ratio'), 2)}x**; bare forwards "
            f"{_f(cost.get('bare_forward_ratio'), 2)}x"
        )
    mismatched = [k for k, ok in split.get("counts_match_training_split", {}).items() if ok is False]
    if mismatched:
        lines.append(
            f"- **Warning:** the rebuilt split's counts differ from the training split of {', '.join(mismatched)}"
        )
    lines.append(f"- **Decision: {decision['verdict']}** (rule: {decision['rule']}).")
    if result.get("thumbnail_pairs"):
        lines += ["", candidate_pairs_markdown(result["thumbnail_pairs"])]
    return "\n".join(lines)


def candidate_pairs_markdown(rows: list[dict]) -> str:
    """The ensemble candidates' thumbnail-vs-full-size figures (training/evaluation/thumbnail_pairs.py)."""
    lines = [
        f"Thumbnail vs full-size film ({rows[0]['films']} nih-boxes films that are also cxr128 thumbnails; "
        "training films, all cardiomegaly), preprocessing version 2, each candidate under its own calibration "
        "and threshold:",
        "",
        "| candidate | median abs(dP) | mean dP | correlation of P | sensitivity, thumbnail / full size |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['label']} | {r['median_abs_dp']:.4f} | {r['mean_dp']:+.4f} | {r['probability_correlation']:.3f} | "
        f"{r['thumbnail_sensitivity']:.3f} / {r['full_size_sensitivity']:.3f} |"
        for r in rows
    ]
    return "\n".join(lines)

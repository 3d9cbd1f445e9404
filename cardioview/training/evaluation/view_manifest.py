"""Put the per-view figures into a bundle's manifest (issue 19, item 4).

``evaluation.views_estimated`` holds :func:`view_measurement.measure_views`'s section (the card renders it,
training/card/card_tables.py), ``view_notes["AP"]`` the sentence the Predictor's warnings, the reports and
the viewer's probability tooltip show on an AP film (the figures differ; the operating point on the test
films estimated AP), and ``view_operating_points["AP"]`` that operating point for the viewer's panel.
"""

from __future__ import annotations

from pathlib import Path

from cardioview.model.bundle import load_bundle, write_manifest

SECTION = "views_estimated"


def _rate(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def ap_view_note(section: dict, boxed: dict | None = None) -> str:
    """What the viewer and reports say on an AP film, from the section (and the boxed films' known views).

    Args:
        section: the ``views_estimated`` section.
        boxed: ``evaluation.views_boxed_films`` (known views, all cardiomegaly), when measured.
    """
    test = section["test"]["views"]
    ap, pa = test.get("AP", {}), test.get("PA", {})
    accuracy = section["estimator"]["accuracy"]
    note = (
        f"figures differ for this view. At threshold {section['threshold']:.2f}, on the {ap.get('films', 0)} "
        f"held-out test films whose view was estimated AP (view estimated by an image classifier, "
        f"{accuracy:.0%} accurate on films of known view): sensitivity {_rate(ap.get('sensitivity'))}, "
        f"specificity {_rate(ap.get('specificity'))}, AUROC {_rate(ap.get('auroc'))} "
        f"(estimated PA: {_rate(pa.get('sensitivity'))}, {_rate(pa.get('specificity'))}, "
        f"{_rate(pa.get('auroc'))})"
    )
    if boxed and "AP" in boxed and "PA" in boxed:
        note += (
            f"; on NIH boxed films of known view (all cardiomegaly) sensitivity {boxed['AP']['sensitivity']:.2f} "
            f"AP against {boxed['PA']['sensitivity']:.2f} PA"
        )
    decision = section["per_view_threshold"]
    if not decision["adopted"]:
        note += "; one threshold and calibration serve all views (a per-view threshold was not supported on validation)"
    return note


def ap_operating_point(section: dict) -> dict:
    """Sensitivity and specificity at the threshold on the test films estimated AP, with their count."""
    ap = section["test"]["views"]["AP"]
    return {
        "sensitivity": ap["sensitivity"],
        "specificity": ap["specificity"],
        "films": ap["films"],
        "threshold": section["threshold"],
        "basis": "held-out test films whose view was estimated AP",
    }


def with_view_section(manifest: dict, section: dict) -> dict:
    """A copy of ``manifest`` with ``evaluation.views_estimated``, ``view_notes["AP"]`` and
    ``view_operating_points["AP"]`` set from ``section``."""
    out = dict(manifest)
    evaluation = dict(out.get("evaluation", {}))
    evaluation[SECTION] = section
    out["evaluation"] = evaluation
    out["view_notes"] = {
        **out.get("view_notes", {}),
        "AP": ap_view_note(section, evaluation.get("views_boxed_films")),
    }
    out["view_operating_points"] = {**out.get("view_operating_points", {}), "AP": ap_operating_point(section)}
    return out


def write_view_section(bundle_dir: Path, section: dict, signing_key=None) -> dict:
    """Rewrite ``bundle_dir``'s manifest with the section (unsigned unless a key is given); returns it."""
    manifest = with_view_section(load_bundle(bundle_dir).manifest, section)
    write_manifest(Path(bundle_dir), manifest, signing_key)
    return load_bundle(bundle_dir).manifest

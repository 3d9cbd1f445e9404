"""What a probability and the shipped threshold mean at a reader's prevalence (headless; the viewer's tooltip).

The bundle's probability is calibrated on the training source, which is 50 % cardiomegaly; a worklist
is not (about 2.5 % of all NIH films, 5-20 % on a cardiology or ICU list). Two figures translate it:

- PPV and NPV of the threshold at prevalence pi, from the validation sensitivity and specificity
  (Bayes: PPV = se pi / (se pi + (1 - sp)(1 - pi))).
- The film's own probability at prevalence pi, by prior shift: its odds times pi / (1 - pi) over the
  training odds (1:1).
"""

from __future__ import annotations

#: the training source's share of cardiomegaly films (cxr128: 2,219 of 4,438)
TRAINING_PREVALENCE = 0.5
#: the prevalences the card and the tooltip show
SHOWN_PREVALENCES = (0.05, 0.20)


def predictive_values(sensitivity: float, specificity: float, prevalence: float) -> tuple[float, float]:
    """(PPV, NPV) of a test with this sensitivity and specificity at ``prevalence`` (0 < prevalence < 1)."""
    true_pos = sensitivity * prevalence
    false_pos = (1.0 - specificity) * (1.0 - prevalence)
    true_neg = specificity * (1.0 - prevalence)
    false_neg = (1.0 - sensitivity) * prevalence
    ppv = true_pos / (true_pos + false_pos) if true_pos + false_pos > 0 else 0.0
    npv = true_neg / (true_neg + false_neg) if true_neg + false_neg > 0 else 0.0
    return ppv, npv


def probability_at_prevalence(probability: float, prevalence: float, trained_at: float = TRAINING_PREVALENCE) -> float:
    """The probability shifted from the training prevalence to ``prevalence`` (Bayes on the odds)."""
    p = min(max(probability, 1e-9), 1.0 - 1e-9)
    odds = p / (1.0 - p) * (prevalence / (1.0 - prevalence)) / (trained_at / (1.0 - trained_at))
    return odds / (1.0 + odds)


def prevalence_table(
    sensitivity: float, specificity: float, prevalences: tuple[float, ...] = (0.025, 0.05, 0.20, 0.5)
) -> list[dict]:
    """PPV and NPV at each prevalence (rows for the model card)."""
    rows = []
    for prevalence in prevalences:
        ppv, npv = predictive_values(sensitivity, specificity, prevalence)
        rows.append({"prevalence": prevalence, "ppv": ppv, "npv": npv})
    return rows


def probability_tooltip(
    probability: float, threshold: float, operating_point: dict, view: str = "", view_note: str = ""
) -> str:
    """The viewer's tooltip for the probability: what it means at 5 % and 20 % prevalence.

    Args:
        probability: the film's calibrated P (at the training prevalence, 50 %).
        threshold: the decision threshold in use.
        operating_point: the manifest's ``validation_operating_point`` (sensitivity, specificity).
        view: the film's view position ("PA", "AP", ...) when known.
        view_note: what differs for this view (the manifest's ``view_notes``), shown for that view.
    """
    se, sp = float(operating_point["sensitivity"]), float(operating_point["specificity"])
    lines = [
        f"P = {probability:.2f} is calibrated at the training set's {TRAINING_PREVALENCE:.0%} prevalence.",
        f"Threshold {threshold:.2f} (validation sensitivity {se:.2f}, specificity {sp:.2f}):",
    ]
    for prevalence in SHOWN_PREVALENCES:
        ppv, npv = predictive_values(se, sp, prevalence)
        shifted = probability_at_prevalence(probability, prevalence)
        lines.append(f"  at {prevalence:.0%} prevalence: PPV {ppv:.2f}, NPV {npv:.2f}; this film's P {shifted:.2f}")
    if view and view_note:
        lines.append(f"{view} film: {view_note}")
    return "\n".join(lines)


def manifest_probability_note(manifest: dict, probability: float, threshold: float, view: str = "") -> str:
    """:func:`probability_tooltip` from a bundle's manifest; empty without a validation operating point.

    The operating point is known at the bundle's own threshold only; at another one the note says so.
    """
    op = manifest.get("validation_operating_point") or {}
    if "sensitivity" not in op or "specificity" not in op:
        return ""
    own = float(manifest.get("threshold", threshold))
    if abs(own - threshold) > 5e-4:
        return (
            f"P = {probability:.2f} is calibrated at the training set's {TRAINING_PREVALENCE:.0%} prevalence; "
            f"the predictive values are known at the model's threshold {own:.2f} only, not at {threshold:.2f}."
        )
    return probability_tooltip(probability, threshold, op, view, manifest.get("view_notes", {}).get(view, ""))

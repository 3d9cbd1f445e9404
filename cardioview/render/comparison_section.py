"""The report's optional "Comparison with prior" section (issue 23): present only when the film has a prior.

Kept apart from report_content so that any report writer can adopt it with one call.
"""

from __future__ import annotations

from datetime import date

from cardioview.comparison.change import Change, change_lines


def comparison_texts(change: Change | None, deidentify: bool = False) -> list[tuple[str, str]]:
    """(text, style) pairs of the section: a heading, the prior's date and values, the change, the caution.

    Args:
        change: the Change since the prior (cardioview.comparison.change); None gives no section.
        deidentify: the prior's date becomes the interval in days (a date can identify a patient).
    """
    if change is None:
        return []
    lines = change_lines(change)
    if deidentify:
        days = interval_days(change.prior.study_date, change.current.study_date)
        when = f"{days} days earlier" if days is not None else "earlier study"
        lines[0] = lines[0].replace(change.prior_date, when, 1)
    return [("Comparison with prior", "heading")] + [
        (text, "warning" if text.startswith("\u26a0") else "body") for text in lines
    ]


def comparison_metadata(change: Change | None, deidentify: bool = False) -> dict | None:
    """The section as the report's JSON metadata (None without a prior)."""
    if change is None:
        return None
    prior = change.prior
    return {
        "prior_study_date": None if deidentify else change.prior_date,
        "interval_days": interval_days(prior.study_date, change.current.study_date),
        "prior_study_uid": None if deidentify else prior.study_uid,
        "prior_view": prior.view,
        "prior_ctr": prior.ctr,
        "prior_probability": prior.probability,
        "ctr_change": None if change.ctr_change is None else round(change.ctr_change, 4),
        "probability_change": None if change.probability_change is None else round(change.probability_change, 4),
        "caution": change.caution,
    }


def interval_days(earlier: str, later: str) -> int | None:
    """Days between two DICOM dates (YYYYMMDD); None when either is not a date."""
    try:
        a, b = (date(int(d[:4]), int(d[4:6]), int(d[6:8])) for d in (earlier, later))
    except (ValueError, TypeError):
        return None
    return (b - a).days

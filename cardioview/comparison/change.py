"""The change from a prior film: CTR and P differences, and the AP/PA caution.

AP films magnify the heart (the heart is far from the detector), so a CTR measured on an AP film is not
comparable with one measured on a PA film; a change across views is reported with a caution, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from cardioview.comparison.films import FilmRecord

#: What the viewer, the report and the SR say when a comparison mixes AP and PA.
MIXED_VIEWS = "views differ ({prior} prior, {current} now): AP magnifies the heart, the CTR change is not comparable"


@dataclass(frozen=True)
class Change:
    """The current film against its prior.

    Attributes:
        ctr_change / probability_change: current minus prior; None when either side lacks the value.
        caution: the mixed-view caution, "" when both films have the same (or an unknown) view.
    """

    current: FilmRecord
    prior: FilmRecord
    ctr_change: float | None
    probability_change: float | None
    caution: str = ""

    @property
    def prior_date(self) -> str:
        """The prior's study date as YYYY-MM-DD."""
        return iso_date(self.prior.study_date)


def compare(current: FilmRecord, prior: FilmRecord) -> Change:
    """The Change of ``current`` since ``prior``."""
    ctr = None if current.ctr is None or prior.ctr is None else current.ctr - prior.ctr
    p = None if current.probability is None or prior.probability is None else current.probability - prior.probability
    return Change(current, prior, ctr, p, view_caution(prior.view, current.view))


def view_caution(prior_view: str, current_view: str) -> str:
    """The caution for a comparison of an AP with a PA film; "" otherwise (same view, or one unknown)."""
    views = {prior_view, current_view}
    if views == {"AP", "PA"}:
        return MIXED_VIEWS.format(prior=prior_view, current=current_view)
    return ""


def signed(value: float | None, decimals: int = 2) -> str:
    """+0.05 / -0.10 / "" for None (the trend.csv cells and the viewer's text)."""
    return "" if value is None else f"{value:+.{decimals}f}"


def iso_date(date: str) -> str:
    """YYYYMMDD as YYYY-MM-DD (anything else unchanged)."""
    return f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 and date.isdigit() else date


def change_lines(change: Change) -> list[str]:
    """The comparison in words, for the report and the viewer: prior date and values, then the change."""
    prior = change.prior
    values = [
        f"CTR {prior.ctr:.2f}" if prior.ctr is not None else "CTR not measured",
        f"P {prior.probability:.2f}" if prior.probability is not None else "P n/a",
    ]
    lines = [f"Prior {change.prior_date} ({prior.view or 'view unknown'}): {', '.join(values)}"]
    delta = [
        f"CTR {signed(change.ctr_change)}" if change.ctr_change is not None else "CTR change unknown",
        f"P {signed(change.probability_change)}" if change.probability_change is not None else "P change unknown",
    ]
    lines.append("Change since prior: " + ", ".join(delta))
    if change.caution:
        lines.append("\u26a0 " + change.caution)
    return lines

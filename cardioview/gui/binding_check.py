"""Does the Qt binding keep ``None``'s reference count? (issue 18)

PySide6 6.12.0 on CPython 3.11 dropped one reference to ``None`` every time a binding
call returned None; some thousands of calls into a session the interpreter aborted with
"Fatal Python error: none_dealloc". This burst makes the kinds of None-returning calls
the viewer makes all day (an unset item role, a top-level item's parent, a missing
child, void setters, a top-level widget's parent) and measures the count before and after.
CPython 3.12+ makes None immortal, so there the count cannot drift and says nothing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

#: Calls per burst: a leaking binding loses one reference per call, so it shows as thousands.
DEFAULT_CALLS = 20_000
#: The count may move by a few references the interpreter itself takes or frees on the
#: way (first-call caches, a frame object); a leak moves it by DEFAULT_CALLS.
NONE_REFCOUNT_SLACK = 8
NONE_IS_IMMORTAL = sys.version_info >= (3, 12)


@dataclass(frozen=True)
class NoneRefcount:
    """``sys.getrefcount(None)`` around a burst of ``calls`` None-returning binding calls."""

    calls: int
    before: int
    after: int

    @property
    def drift(self) -> int:
        return self.after - self.before

    @property
    def ok(self) -> bool:
        return abs(self.drift) <= NONE_REFCOUNT_SLACK

    def describe(self) -> str:
        return (
            f"None refcount {self.before} -> {self.after} after {self.calls:,} None-returning Qt calls "
            f"(drift {self.drift:+d})"
        )


def none_refcount_burst(calls: int = DEFAULT_CALLS) -> NoneRefcount:
    """Make ``calls`` None-returning Qt calls (needs a QApplication) and measure None's reference count.

    Returns:
        NoneRefcount with the counts before and after (the calls' results are checked to be None,
        so a binding that stopped returning None cannot pass unnoticed).
    """
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QLabel, QSlider

    app = QApplication.instance()
    if app is None:
        raise RuntimeError("none_refcount_burst needs a QApplication")
    model = QStandardItemModel()
    item = QStandardItem("film")
    model.appendRow(item)
    label, slider = QLabel(), QSlider(Qt.Orientation.Horizontal)
    unset_role = int(Qt.ItemDataRole.UserRole) + 77
    per_round = 6

    def burst(rounds: int) -> None:
        for _ in range(rounds):
            results = (
                item.data(unset_role),
                item.parent(),
                item.child(0, 2),
                label.setText("p"),
                slider.setValue(3),
                label.parentWidget(),
            )
            if any(result is not None for result in results):
                raise AssertionError(f"a binding call that should return None returned {results}")

    burst(10)  # first calls fill the binding's caches; not part of the measurement
    rounds = max(1, -(-calls // per_round))  # at least ``calls`` calls
    before = sys.getrefcount(None)
    burst(rounds)
    after = sys.getrefcount(None)
    label.deleteLater()
    slider.deleteLater()
    return NoneRefcount(rounds * per_round, before, after)

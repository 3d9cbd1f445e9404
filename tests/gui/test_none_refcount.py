"""None's reference count survives many thousands of None-returning Qt calls (issue 18).

PySide6 6.12.0 on CPython 3.11 lost one reference per such call and the viewer aborted
("Fatal Python error: none_dealloc") some thousands of calls into a session.
"""

from __future__ import annotations

import sys

import pytest

from cardioview.gui.binding_check import DEFAULT_CALLS, NONE_IS_IMMORTAL, NONE_REFCOUNT_SLACK, none_refcount_burst

pytestmark = pytest.mark.skipif(
    NONE_IS_IMMORTAL,
    reason="CPython 3.12+ makes None immortal: its reference count cannot drift, so this test could not fail there",
)


def test_none_refcount_unchanged_after_20000_binding_calls(qapp):
    result = none_refcount_burst(DEFAULT_CALLS)
    print(result.describe())
    assert result.calls >= 20_000
    assert abs(result.drift) <= NONE_REFCOUNT_SLACK, result.describe()


def test_the_check_would_see_a_leak(qapp):
    """The measurement itself: holding 5,000 extra references to None moves the count by 5,000."""
    before = sys.getrefcount(None)
    held = [None] * 5_000
    assert sys.getrefcount(None) - before >= 5_000 - NONE_REFCOUNT_SLACK
    del held
    assert abs(sys.getrefcount(None) - before) <= NONE_REFCOUNT_SLACK

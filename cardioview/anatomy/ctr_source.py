"""Where a reported CTR comes from: the one rule the panel, the PNG report, the SR and results.csv share.

The CTR is "automatic" while its calipers are the segmenter's own lines, and "adjusted" as soon as a
caliper differs from them, even when the ratio stays the same (a reader who moves both lines down a few
rows has still measured it themselves). The ratio alone never decides.
"""

from __future__ import annotations

#: The possible answers of :func:`ctr_source`.
AUTOMATIC, ADJUSTED, READER, NONE = "automatic", "adjusted", "reader", ""
#: How far (image pixels) a caliper end may be from the segmenter's and still be its line: float round trips.
CALIPER_TOLERANCE_PX = 1e-3


def automatic_measurement(anatomy):
    """The segmenter's CardiothoracicRatio with its calipers (an AnatomyResult's), None when it gave no CTR."""
    if anatomy is None or anatomy.ctr is None:
        return None
    return anatomy.measurement


def same_calipers(a, b) -> bool:
    """True when ``a`` and ``b`` (anything with ``heart`` and ``thorax`` Calipers) have the same two lines."""
    for name in ("heart", "thorax"):
        first, second = getattr(a, name, None), getattr(b, name, None)
        if first is None or second is None:
            return False
        ends = zip((first.x0, first.x1, first.y), (second.x0, second.x1, second.y), strict=True)
        if any(abs(float(p) - float(q)) > CALIPER_TOLERANCE_PX for p, q in ends):
            return False
    return True


def ctr_source(reported, anatomy) -> str:
    """Where the reported CTR comes from.

    Args:
        reported: the reading's calipers or CTR (a CardiothoracicRatio, the viewer's caliper pair, a bare
            ratio) or None when there are none.
        anatomy: the segmenter's result for the film (an AnatomyResult) or None.

    Returns:
        "automatic" (the segmenter's calipers, untouched), "adjusted" (a caliper moved, or a figure without
        calipers where the segmenter measured one), "reader" (no automatic CTR to compare with) or ""
        (nothing reported).
    """
    if reported is None:
        return NONE
    automatic = automatic_measurement(anatomy)
    if automatic is None:
        return READER
    return AUTOMATIC if same_calipers(reported, automatic) else ADJUSTED

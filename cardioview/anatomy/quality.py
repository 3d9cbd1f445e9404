"""The quality check before any CTR is shown, and the assembly of an AnatomyResult.

A CTR is shown only for a frontal film with one plausible heart between two
lungs of sane size; otherwise the result says why not. AP films get the CTR
with the warning that AP projection magnifies the heart.
"""

from __future__ import annotations

import numpy as np

from cardioview.anatomy.components import largest_component
from cardioview.anatomy.mask_measurement import measure_ctr
from cardioview.anatomy.result import AnatomyResult

LATERAL_VIEWS = {"LL", "RL", "LAT", "LATERAL", "RLD", "LLD"}
AP_WARNING = "AP view magnifies the heart: the CTR overestimates cardiac size (0.5 is a PA criterion)"

#: Plausible area shares of the image (JSRT/Wingspan training masks span about
#: 2.5-14 % for the heart and 4-20 % per lung; the bounds leave room for NIH framing).
HEART_AREA = (0.01, 0.30)
LUNG_AREA = (0.015, 0.40)
#: Share of a structure's pixels that must be in its largest blob.
MIN_MAIN_BLOB = 0.6
CTR_RANGE = (0.25, 0.90)
#: Smaller lung / larger lung area: 0.49 at the lowest in the JSRT/Wingspan masks; below this one outline is a miss.
MIN_LUNG_AREA_RATIO = 0.35
#: How far (share of the width) each lung's inner edge may stay from the heart's border on its side; the
#: training masks reach at most -0.09 (left, overlapping the heart) and +0.12 (right).
MAX_LUNG_HEART_GAP = {"right": 0.2, "left": 0.05}

REASON_LATERAL = "not a frontal chest film (lateral view)"
REASON_LUNGS = "lungs not found"
REASON_HEART = "heart not found"
REASON_NOT_FRONTAL = "not a frontal chest film"


def _check(heart, right, left, shares) -> str:
    area = heart.size
    a_heart, a_right, a_left = heart.sum() / area, right.sum() / area, left.sum() / area
    if a_right < LUNG_AREA[0] or a_left < LUNG_AREA[0]:
        return REASON_LUNGS
    if a_heart < HEART_AREA[0]:
        return REASON_HEART
    if a_heart > HEART_AREA[1] or max(a_right, a_left) > LUNG_AREA[1] or min(shares) < MIN_MAIN_BLOB:
        return REASON_NOT_FRONTAL
    if min(a_right, a_left) / max(a_right, a_left) < MIN_LUNG_AREA_RATIO:
        return REASON_LUNGS + " (one lung outline is far smaller than the other)"
    cols = [np.nonzero(m.any(axis=0))[0] for m in (right, heart, left)]
    width = heart.shape[1]
    if (cols[1].min() - cols[0].max()) / width > MAX_LUNG_HEART_GAP["right"] or (
        cols[2].min() - cols[1].max()
    ) / width > MAX_LUNG_HEART_GAP["left"]:
        return REASON_LUNGS + " (a lung outline is not beside the heart)"
    xs = [np.nonzero(m)[1].mean() for m in (right, heart, left)]
    ys = [np.nonzero(m)[0].mean() for m in (right, heart, left)]
    if not xs[0] < xs[1] < xs[2]:
        return REASON_NOT_FRONTAL + " (heart not between the lungs)"
    # the heart sits low between the lungs: its centre below the lungs' upper thirds
    if ys[1] < min(ys[0], ys[2]) - 0.1 * heart.shape[0]:
        return REASON_NOT_FRONTAL + " (heart above the lungs)"
    return ""


def assess(
    heart: np.ndarray,
    right_lung: np.ndarray,
    left_lung: np.ndarray,
    view: str = "",
    model_id: str = "",
    elapsed_ms: float = 0.0,
    shares: tuple[float, float, float] | None = None,
) -> AnatomyResult:
    """Clean the masks (largest blob each), check them and measure the CTR.

    Args:
        heart, right_lung, left_lung: bool (H, W) masks at the image's size.
        view: the film's view position ("PA", "AP", "LL", ...; "" when unknown).
        shares: when given, the masks are already reduced to their largest blobs and
            these are the blobs' shares of the raw masks (the runner does that at
            network resolution, which is much cheaper than at the film's size).

    Returns:
        AnatomyResult; ``ctr`` is None with ``reason`` set when the check failed.
    """
    if shares is None:
        cleaned, shares = [], []
        for m in (heart, right_lung, left_lung):
            c, share = largest_component(np.asarray(m, bool))
            cleaned.append(c)
            shares.append(share)
        heart, right_lung, left_lung = cleaned
    view = (view or "").strip().upper()
    warnings: tuple[str, ...] = (AP_WARNING,) if view == "AP" else ()

    def result(reason: str, measurement=None) -> AnatomyResult:
        return AnatomyResult(
            heart,
            right_lung,
            left_lung,
            measurement,
            passed=not reason,
            reason=reason,
            warnings=warnings,
            model_id=model_id,
            elapsed_ms=elapsed_ms,
        )

    if view in LATERAL_VIEWS:
        return result(REASON_LATERAL)
    reason = _check(heart, right_lung, left_lung, shares)
    if reason:
        return result(reason)
    m = measure_ctr(heart, right_lung, left_lung)
    if m is None:
        return result(REASON_LUNGS)
    if not CTR_RANGE[0] <= m.ratio <= CTR_RANGE[1]:
        return result(f"implausible CTR {m.ratio:.2f}: the outlines need checking", m)
    return result("", m)

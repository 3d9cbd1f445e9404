"""The self-test's segmenter check: the shipped cxr_anatomy bundle loads (hash-verified) and measures a CTR."""

from __future__ import annotations

from pathlib import Path

from cardioview.imaging import load
from cardioview.selftest.checks import Check


def check_anatomy(checks, predictor, png: Path) -> None:
    """Adds a "segmenter" check: PASS with the CTR of ``png``; SKIP when no segmenter is shipped."""
    if predictor is None:
        return
    runner = getattr(predictor, "anatomy", None)
    if runner is None:
        checks.add(Check("segmenter", "SKIP", "no weights/cxr_anatomy bundle: predictions carry no CTR"))
        return
    with checks.check("segmenter") as detail:
        result = runner.segment(load(png))
        if result.ctr is None:
            raise AssertionError(f"{png.name}: no CTR ({result.reason})")
        if result.at_image_size(result.heart).shape != load(png).shape:
            raise AssertionError("masks do not map to the image's size")
        detail.append(f"{runner.model_id}: {png.name} CTR {result.ctr:.2f}, {result.elapsed_ms:.0f} ms")

"""Heart and lung outlines over an X-ray picture, and the report lines of the automatic CTR (numpy only).

Used by the report (render/report.py, report_content.py call in here) and the viewer.
"""

from __future__ import annotations

import numpy as np

from cardioview.anatomy.cardiothoracic_ratio import Caliper
from cardioview.anatomy.ctr_source import ctr_source
from cardioview.imageops import resize_gray

#: RGB of each outline, and its name for the legend.
OUTLINE_COLOURS = {"heart": ((255, 80, 80), "red"), "lungs": ((80, 220, 120), "green")}
#: How the report and the viewer draw each CTR caliper: RGB colour and its name for the legend.
CALIPER_COLOURS = {"heart": ((90, 200, 255), "blue"), "thorax": ((255, 214, 90), "yellow")}


def automatic_calipers(anatomy) -> tuple[Caliper, Caliper] | None:
    """The heart and thorax calipers the segmenter measured (an AnatomyResult), or None without a CTR."""
    if anatomy is None or anatomy.ctr is None:
        return None
    return anatomy.measurement.heart, anatomy.measurement.thorax


def smooth_resize(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A bool mask resized bilinearly and cut at 0.5: enlarged 6x from the segmenter's grid, its edge
    follows the outline instead of the grid's staircase."""
    return resize_gray(np.asarray(mask, np.float32), tuple(shape)) >= 0.5


def outline(mask: np.ndarray, shape: tuple[int, int] | None = None, thickness: int = 2) -> np.ndarray:
    """bool edge pixels of ``mask`` (resized to ``shape`` first), ``thickness`` px wide inside the region."""
    m = np.asarray(mask, bool)
    if shape is not None and m.shape != tuple(shape):
        m = smooth_resize(m, shape)
    inner = m.copy()
    for _ in range(max(1, thickness)):
        e = inner.copy()
        e[1:] &= inner[:-1]
        e[:-1] &= inner[1:]
        e[:, 1:] &= inner[:, :-1]
        e[:, :-1] &= inner[:, 1:]
        inner = e
    return m & ~inner


def draw_outlines(rgb: np.ndarray, anatomy, opacity: float = 1.0, thickness: int = 2) -> np.ndarray:
    """A copy of uint8 (H, W, 3) ``rgb`` with the heart and both lungs outlined (masks resized to fit)."""
    out = rgb.astype(np.float32).copy()
    shape = rgb.shape[:2]
    for name, mask in (("lungs", anatomy.right_lung), ("lungs", anatomy.left_lung), ("heart", anatomy.heart)):
        edge = outline(mask, shape, thickness)
        colour = np.array(OUTLINE_COLOURS[name][0], np.float32)
        out[edge] = (1 - opacity) * out[edge] + opacity * colour
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def outlined_picture(picture: np.ndarray, prediction) -> np.ndarray:
    """The report's X-ray picture with outlines when the prediction carries a segmentation."""
    anatomy = getattr(prediction, "anatomy", None)
    return picture if anatomy is None else draw_outlines(picture, anatomy)


SEGMENTATION = "from heart and lung segmentation"


def ctr_statement(source: str, value: float | None, automatic: float | None) -> str:
    """The words for a CTR and its source (anatomy.ctr_source.ctr_source), e.g.
    "CTR 0.54 (calipers adjusted by the reader; automatic 0.50 from heart and lung segmentation)"."""
    if source == "automatic":
        return f"CTR {value:.2f} (automatic, {SEGMENTATION})"
    if source == "adjusted":
        return f"CTR {value:.2f} (calipers adjusted by the reader; automatic {automatic:.2f} {SEGMENTATION})"
    if source == "reader":
        return f"CTR {value:.2f} (calipers placed by the reader)"
    return f"Automatic CTR {automatic:.2f} {SEGMENTATION} (no calipers drawn)" if automatic is not None else ""


def anatomy_report_texts(prediction, ctr=None) -> list[tuple[str, str]]:
    """(text, style) lines for the report's result section: where the CTR came from, or why there is none.

    Args:
        ctr: the CardiothoracicRatio the report draws (the viewer's calipers); when its calipers
            differ from the segmenter's, the CTR is reported as adjusted by the reader (anatomy.ctr_source).
    """
    anatomy = getattr(prediction, "anatomy", None)
    if anatomy is None:
        return []
    legend = ", ".join(f"{k} in {v[1]}" for k, v in OUTLINE_COLOURS.items())
    if anatomy.ctr is None:
        return [(f"No automatic CTR: {anatomy.reason}", "warning"), (f"Outlines: {legend}", "body")]
    statement = ctr_statement(ctr_source(ctr, anatomy), getattr(ctr, "ratio", ctr), anatomy.ctr)
    lines = [(f"{statement}; outlines: {legend}", "body")]
    lines += [(w, "warning") for w in anatomy.warnings]
    return lines

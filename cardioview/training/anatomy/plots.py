"""Figures of the segmenter (OpenCV, as plots.py): Bland-Altman plot, outline pictures of single films."""

from __future__ import annotations

import cv2
import numpy as np

from cardioview.training.card.plots import BLACK, BLUE, GRAY, MARGIN, RED, SIZE, _canvas, _text

HEART, RIGHT, LEFT, TRUTH = (230, 60, 60), (40, 160, 255), (60, 200, 90), (255, 220, 0)


def bland_altman_figure(pred, ref, title: str = "CTR: automatic vs key-point") -> np.ndarray:
    """Difference (pred - ref) against mean, with bias and 95% limits of agreement."""
    p, r = np.asarray(pred, float), np.asarray(ref, float)
    mean, diff = (p + r) / 2, p - r
    bias, sd = diff.mean(), diff.std(ddof=1)
    lo, hi = bias - 1.96 * sd, bias + 1.96 * sd
    img = _canvas()
    x0, y0, x1, y1 = MARGIN, SIZE - MARGIN, SIZE - 30, 40
    xr = (min(mean.min(), 0.35) - 0.02, max(mean.max(), 0.75) + 0.02)
    span = max(0.06, np.abs(diff).max() * 1.25, abs(lo) * 1.2, abs(hi) * 1.2)
    yr = (-span, span)
    px = lambda x, y: (
        int(x0 + (x - xr[0]) / (xr[1] - xr[0]) * (x1 - x0)),
        int(y0 - (y - yr[0]) / (yr[1] - yr[0]) * (y0 - y1)),
    )  # noqa: E731
    cv2.rectangle(img, (x0, y1), (x1, y0), BLACK, 1)
    for t in np.linspace(xr[0], xr[1], 6):
        _text(img, f"{t:.2f}", (px(t, yr[0])[0], y0 + 14), 0.4, center=True)
    for t in np.linspace(yr[0], yr[1], 7):
        _text(img, f"{t:+.3f}", (x0 - 30, px(xr[0], t)[1]), 0.38, center=True)
    for v, c, name in (
        (0.0, GRAY, ""),
        (bias, BLUE, f"bias {bias:+.4f}"),
        (lo, RED, f"-1.96 SD {lo:+.4f}"),
        (hi, RED, f"+1.96 SD {hi:+.4f}"),
    ):
        cv2.line(img, px(xr[0], v), px(xr[1], v), c, 1, cv2.LINE_AA)
        if name:
            _text(img, name, (px(xr[1], v)[0] - 150, px(xr[1], v)[1] - 5), 0.42, c)
    for m, d in zip(mean, diff):
        cv2.circle(img, px(m, d), 4, BLUE, -1, cv2.LINE_AA)
    _text(img, f"{title} (n={len(p)})", (SIZE / 2, 18), 0.5, center=True)
    _text(img, "mean of the two CTRs", ((x0 + x1) / 2, y0 + 40), 0.5, center=True)
    label = np.full((24, 300, 3), 255, np.uint8)
    _text(label, "automatic - key-point", (150, 12), 0.5, center=True)
    img[(y0 + y1) // 2 - 150 : (y0 + y1) // 2 + 150, 2:26] = cv2.rotate(label, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img


def _outline(rgb: np.ndarray, mask: np.ndarray, colour, thick: int = 1) -> None:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(rgb, contours, -1, colour, thick, cv2.LINE_AA)


def case_figure(gray: np.ndarray, pred: tuple, truth: tuple | None, caption: str, size: int = 320) -> np.ndarray:
    """One film with predicted outlines (heart red, right lung blue, left lung green) and the truth in yellow."""
    h, w = gray.shape
    s = size / max(h, w)
    small = cv2.resize(gray, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
    rgb = np.repeat(small[..., None], 3, axis=2).copy()
    rs = lambda m: cv2.resize(m.astype(np.uint8), (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)  # noqa: E731
    if truth is not None:
        for m in truth:
            _outline(rgb, rs(m), TRUTH)
    for m, c in zip(pred, (HEART, RIGHT, LEFT)):
        _outline(rgb, rs(m), c)
    out = np.full((rgb.shape[0] + 22, rgb.shape[1], 3), 255, np.uint8)
    out[: rgb.shape[0]] = rgb
    _text(out, caption[:60], (4, rgb.shape[0] + 15), 0.38)
    return out


def sheet(figures: list[np.ndarray], columns: int = 4) -> np.ndarray:
    """Tile equal-width pictures into one image."""
    if not figures:
        return np.full((40, 200, 3), 255, np.uint8)
    hh = max(f.shape[0] for f in figures)
    ww = max(f.shape[1] for f in figures)
    rows = (len(figures) + columns - 1) // columns
    out = np.full((rows * hh, min(columns, len(figures)) * ww, 3), 255, np.uint8)
    for k, f in enumerate(figures):
        r, c = divmod(k, columns)
        out[r * hh : r * hh + f.shape[0], c * ww : c * ww + f.shape[1]] = f
    return out

"""Evaluation figures drawn with OpenCV (no matplotlib dependency): ROC, confusion matrix, reliability diagram.

Each function returns an RGB uint8 image; :func:`save_png` writes it atomically.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cardioview.atomic import atomic_write_bytes

SIZE = 520
MARGIN = 70
FONT = cv2.FONT_HERSHEY_SIMPLEX
BLACK, GRAY, BLUE, RED = (20, 20, 20), (170, 170, 170), (31, 119, 180), (214, 39, 40)


def _canvas() -> np.ndarray:
    return np.full((SIZE, SIZE, 3), 255, np.uint8)


def _text(img, s: str, xy, scale=0.5, color=BLACK, thick=1, center=False) -> None:
    if center:
        (w, h), _ = cv2.getTextSize(s, FONT, scale, thick)
        xy = (int(xy[0] - w / 2), int(xy[1] + h / 2))
    cv2.putText(img, s, (int(xy[0]), int(xy[1])), FONT, scale, color, thick, cv2.LINE_AA)


def _axes(img, title: str, xlabel: str, ylabel: str) -> callable:
    """Unit-square axes with ticks; returns data (0..1, 0..1) -> pixel mapping."""
    x0, y0, x1, y1 = MARGIN, SIZE - MARGIN, SIZE - 30, 40
    to_px = lambda x, y: (int(round(x0 + x * (x1 - x0))), int(round(y0 - y * (y0 - y1))))  # noqa: E731
    for t in np.linspace(0, 1, 6):
        cv2.line(img, to_px(t, 0), to_px(t, 1), (235, 235, 235), 1)
        cv2.line(img, to_px(0, t), to_px(1, t), (235, 235, 235), 1)
        _text(img, f"{t:.1f}", (to_px(t, 0)[0], y0 + 14), 0.4, center=True)
        _text(img, f"{t:.1f}", (x0 - 22, to_px(0, t)[1]), 0.4, center=True)
    cv2.rectangle(img, to_px(0, 1), to_px(1, 0), BLACK, 1)
    _text(img, title, (SIZE / 2, 18), 0.55, center=True, thick=1)
    _text(img, xlabel, ((x0 + x1) / 2, y0 + 40), 0.5, center=True)
    label = np.full((24, 300, 3), 255, np.uint8)
    _text(label, ylabel, (150, 12), 0.5, center=True)
    rot = cv2.rotate(label, cv2.ROTATE_90_COUNTERCLOCKWISE)
    cy = (y0 + y1) // 2
    img[cy - 150 : cy + 150, 6:30] = rot
    return to_px


def _polyline(img, to_px, xs, ys, color, thick=2) -> None:
    pts = np.array([to_px(x, y) for x, y in zip(xs, ys)], np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [pts], False, color, thick, cv2.LINE_AA)


def roc_figure(fpr, tpr, auc: float, ci: tuple[float, float] | None, point: tuple[float, float] | None) -> np.ndarray:
    """ROC curve, chance diagonal, AUROC (with CI) and the operating point (1 - specificity, sensitivity)."""
    img = _canvas()
    to_px = _axes(img, "ROC curve", "false positive rate (1 - specificity)", "true positive rate (sensitivity)")
    _polyline(img, to_px, [0, 1], [0, 1], GRAY, 1)
    _polyline(img, to_px, fpr, tpr, BLUE, 2)
    label = f"AUROC {auc:.3f}" + (f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})" if ci else "")
    _text(img, label, to_px(0.28, 0.1), 0.5)
    if point is not None:
        cv2.circle(img, to_px(*point), 6, RED, 2, cv2.LINE_AA)
        _text(img, "threshold", (to_px(*point)[0] + 9, to_px(*point)[1] + 16), 0.45, RED)
    return img


CURVE_COLOURS = (BLUE, RED, (44, 160, 44), (148, 103, 189), (255, 127, 14))


def roc_comparison_figure(curves: list[tuple[str, np.ndarray, np.ndarray]]) -> np.ndarray:
    """Several ROC curves on one axes; ``curves`` holds (legend text, fpr, tpr)."""
    img = _canvas()
    to_px = _axes(
        img,
        "ROC curves on the same images",
        "false positive rate (1 - specificity)",
        "true positive rate (sensitivity)",
    )
    _polyline(img, to_px, [0, 1], [0, 1], GRAY, 1)
    for i, (label, fpr, tpr) in enumerate(curves):
        colour = CURVE_COLOURS[i % len(CURVE_COLOURS)]
        _polyline(img, to_px, fpr, tpr, colour, 2)
        y = 0.05 + 0.07 * (len(curves) - 1 - i)
        cv2.line(img, to_px(0.30, y + 0.012), to_px(0.36, y + 0.012), colour, 3)
        _text(img, label, to_px(0.38, y), 0.45)
    return img


def confusion_figure(cm, labels=("no cardiomegaly", "cardiomegaly"), threshold: float | None = None) -> np.ndarray:
    """2x2 confusion matrix (rows = truth, columns = prediction), shaded by row share."""
    cm = np.asarray(cm)
    img = _canvas()
    title = "confusion matrix" + (f" at threshold {threshold:.3f}" if threshold is not None else "")
    _text(img, title, (SIZE / 2, 18), 0.55, center=True)
    x0, y0, cell = 150, 90, 160
    for i in range(2):
        for j in range(2):
            share = cm[i, j] / max(1, cm[i].sum())
            shade = int(255 - 150 * share)
            cv2.rectangle(
                img, (x0 + j * cell, y0 + i * cell), (x0 + (j + 1) * cell, y0 + (i + 1) * cell), (shade, shade, 255), -1
            )
            cv2.rectangle(img, (x0 + j * cell, y0 + i * cell), (x0 + (j + 1) * cell, y0 + (i + 1) * cell), BLACK, 1)
            _text(
                img,
                str(int(cm[i, j])),
                (x0 + j * cell + cell / 2, y0 + i * cell + cell / 2 - 10),
                0.9,
                center=True,
                thick=2,
            )
            _text(
                img, f"{share:.1%} of row", (x0 + j * cell + cell / 2, y0 + i * cell + cell / 2 + 22), 0.45, center=True
            )
        _text(img, labels[i], (x0 - 70, y0 + i * cell + cell / 2), 0.45, center=True)
        _text(img, labels[i], (x0 + i * cell + cell / 2, y0 + 2 * cell + 20), 0.45, center=True)
    _text(img, "predicted", (x0 + cell, y0 + 2 * cell + 50), 0.5, center=True)
    _text(img, "true", (x0 - 70, y0 - 20), 0.5, center=True)
    return img


def calibration_figure(bins: list[dict], ece: float) -> np.ndarray:
    """Reliability diagram: observed positive rate vs mean predicted probability per bin, with the diagonal."""
    img = _canvas()
    to_px = _axes(
        img, f"reliability (ECE {ece:.3f})", "mean predicted P(cardiomegaly)", "observed share with cardiomegaly"
    )
    _polyline(img, to_px, [0, 1], [0, 1], GRAY, 1)
    for b in bins:
        if b["count"]:
            cv2.rectangle(img, to_px(b["lo"], 0), to_px(b["hi"], b["positive_rate"]), (200, 220, 240), -1)
            cv2.rectangle(img, to_px(b["lo"], 0), to_px(b["hi"], b["positive_rate"]), BLUE, 1)
    pts = [(b["mean_probability"], b["positive_rate"]) for b in bins if b["count"]]
    if pts:
        _polyline(img, to_px, [p[0] for p in pts], [p[1] for p in pts], RED, 2)
        for p in pts:
            cv2.circle(img, to_px(*p), 4, RED, -1, cv2.LINE_AA)
    return img


def save_png(path: Path, rgb: np.ndarray, overwrite: bool = False) -> Path:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"{Path(path).name}: PNG encoding failed")
    return atomic_write_bytes(path, buf.tobytes(), overwrite=overwrite)

"""A contact sheet of attention overlays for the model card: where the model looks on real films.

Each tile is what the viewer shows (``cardioview.render.overlay`` of the
Predictor's result), captioned with the truth and the calibrated probability.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cardioview.atomic import atomic_write_bytes
from cardioview.imaging import load
from cardioview.inference.predictor import Predictor
from cardioview.render.overlay import overlay
from cardioview.training.classifier.data import Sample

CAPTION = 34


def _tile(rgb: np.ndarray, size: int, caption: str, positive: bool) -> np.ndarray:
    tile = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)
    bar = np.full((CAPTION, size, 3), 255, np.uint8)
    colour = (200, 30, 30) if positive else (30, 90, 200)
    cv2.putText(bar, caption, (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
    return np.vstack([tile, bar])


def contact_sheet(
    bundle: Path,
    samples: list[Sample],
    out: Path,
    tile: int = 256,
    columns: int = 4,
    opacity: float = 0.35,
    overwrite: bool = False,
) -> list[dict]:
    """Write a JPEG grid of overlays; returns per-image probability, peak of W and W range.

    Args:
        bundle: weights bundle folder.
        samples: labelled images (e.g. ../shared/data/nih1024).
        out: destination .jpg.
        opacity: heat-map opacity (the paper's 0.2 is faint at thumbnail size).
    """
    predictor = Predictor(bundle, backend="torch")
    tiles, rows = [], []
    for s in samples:
        xray = load(s.path)
        pred = predictor.predict(xray)
        truth = "cardiomegaly" if s.label else "no cardiomegaly"
        caption = f"{truth}: P={pred.probability:.2f}"
        tiles.append(_tile(overlay(xray, pred, opacity=opacity), tile, caption, bool(s.label)))
        rows.append(
            {
                "image": Path(s.path).name,
                "label": s.label,
                "probability": float(pred.probability),
                "positive": bool(pred.positive),
                "w_min": float(pred.attention.min()),
                "w_max": float(pred.attention.max()),
            }
        )
    while len(tiles) % columns:
        tiles.append(np.full_like(tiles[0], 255))
    grid = np.vstack([np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)])
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise OSError(f"{Path(out).name}: JPEG encoding failed")
    atomic_write_bytes(out, buf.tobytes(), overwrite=overwrite)
    return rows

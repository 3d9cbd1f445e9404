"""How well an attention map localises radiologists' boxes, scored as Wang et al. (CVPR 2017) did.

Each map W is upsampled to the film (the viewer's bicubic), normalised to 0-255,
thresholded (60 and 180, Wang's two levels), and the bounding box of the largest
8-connected region is compared with the radiologist's box: IoU, IoBB (intersection
over the detected box's area, Wang's "accuracy at IoBB > T") and, threshold-free,
the pointing game (the map's peak inside the box). Every figure is printed beside
the same scoring of a constant blob in the middle of the chest: a map with no image
information that a useful attention map has to beat.

Two box tables are read: NIH's ``BBox_List_2017.csv`` (``Image Index, Finding Label,
Bbox [x, y, w, h]``) and the ``boxes.csv`` of a boxed-film folder
(``image,patient_id,view,x,y,w,h,...`` with the films in ``images/``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardioview.render.overlay import upsample_attention
from cardioview.training.evaluation.attention_metrics import CARDIAC_REGION

WANG_THRESHOLDS = (60, 180)
NIH_FRAME = 1024


@dataclass(frozen=True)
class BoxRecord:
    """One radiologist box.

    Attributes:
        image: the film's file name.
        box: (x, y, w, h) in the ``frame`` px NIH frame.
        path: the film itself when the table sits beside it (boxes.csv layout), else None.
        view: "PA", "AP" or "" when the table does not say.
    """

    image: str
    box: tuple[float, float, float, float]
    path: Path | None = None
    view: str = ""


def read_box_table(csv_path: Path, finding: str = "Cardiomegaly") -> list[BoxRecord]:
    """Either layout -> the boxes of one finding (BBox_List) or all rows (boxes.csv).

    Raises:
        ValueError: a header neither layout has.
    """
    csv_path = Path(csv_path)
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{csv_path}: empty box table")
    header = [h.strip().lower() for h in rows[0]]
    records = []
    if header[:2] == ["image index", "finding label"]:
        for row in rows[1:]:
            if len(row) >= 6 and row[1].strip() == finding:
                records.append(BoxRecord(row[0].strip(), tuple(float(v) for v in row[2:6])))
        return records
    if {"image", "x", "y", "w", "h"} <= set(header):
        col = {name: header.index(name) for name in header}
        images = csv_path.parent / "images"
        for row in rows[1:]:
            if len(row) < len(header):
                continue
            name = row[col["image"]].strip()
            path = images / name
            records.append(
                BoxRecord(
                    name,
                    tuple(float(row[col[k]]) for k in "xywh"),
                    path if path.is_file() else None,
                    row[col["view"]].strip() if "view" in col else "",
                )
            )
        return records
    raise ValueError(f"{csv_path}: not a box table (expected BBox_List_2017.csv or image,x,y,w,h columns)")


def pixel_box(
    box: tuple[float, float, float, float], shape: tuple[int, int], frame: int = NIH_FRAME
) -> tuple[int, int, int, int]:
    """(x, y, w, h) in the NIH frame -> (x0, y0, x1, y1) pixel bounds (exclusive) on an image of ``shape``."""
    h_img, w_img = shape
    sx, sy = w_img / frame, h_img / frame
    x, y, w, h = box
    return (int(round(x * sx)), int(round(y * sy)), int(round((x + w) * sx)), int(round((y + h) * sy)))


def _area(b) -> int:
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def _intersection(a, b) -> int:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def box_iou(a, b) -> float:
    inter = _intersection(a, b)
    union = _area(a) + _area(b) - inter
    return inter / union if union else 0.0


def box_iobb(detected, truth) -> float:
    """Intersection over the detected box's area (Wang et al.'s IoBB)."""
    area = _area(detected)
    return _intersection(detected, truth) / area if area else 0.0


def largest_region_box(upsampled: np.ndarray, threshold: int) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1) of the largest 8-connected region of the 0-255-normalised map >= threshold."""
    import cv2

    lo, hi = float(upsampled.min()), float(upsampled.max())
    if not np.isfinite(lo) or hi <= lo:
        return None
    scaled = (upsampled - lo) / (hi - lo) * 255.0
    binary = (scaled >= threshold).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n < 2:
        return None
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = (int(v) for v in stats[k, :4])
    return (x, y, x + w, y + h)


def central_blob(shape: tuple[int, int], region=CARDIAC_REGION) -> np.ndarray:
    """The no-information baseline: a Gaussian centred on the median cardiac box, sigma = a third of its half-sides."""
    h, w = shape
    x0, y0, x1, y1 = region
    cx, cy = (x0 + x1) / 2 * w, (y0 + y1) / 2 * h
    sx, sy = (x1 - x0) / 2 * w / 1.5, (y1 - y0) / 2 * h / 1.5
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.exp(-0.5 * (((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2)).astype(np.float32)


def score_map(upsampled: np.ndarray, truth: tuple[int, int, int, int]) -> dict:
    """Pointing, and per threshold the IoU and IoBB of the largest region's box, for one film."""
    y, x = np.unravel_index(int(np.argmax(upsampled)), upsampled.shape)
    out = {"pointing": bool(truth[0] <= x < truth[2] and truth[1] <= y < truth[3])}
    for t in WANG_THRESHOLDS:
        detected = largest_region_box(upsampled, t)
        out[f"iou_t{t}"] = box_iou(detected, truth) if detected else 0.0
        out[f"iobb_t{t}"] = box_iobb(detected, truth) if detected else 0.0
    return out


def summarise_scores(per_film: list[dict]) -> dict:
    """Rates over films: pointing, accuracy at IoBB > 0.5, IoU > 0.3 / 0.5 and mean IoU, per threshold."""
    if not per_film:
        return {"films": 0}
    out = {"films": len(per_film), "pointing_rate": float(np.mean([s["pointing"] for s in per_film]))}
    for t in WANG_THRESHOLDS:
        iou_v = np.array([s[f"iou_t{t}"] for s in per_film])
        iobb_v = np.array([s[f"iobb_t{t}"] for s in per_film])
        out[f"t{t}"] = {
            "mean_iou": float(iou_v.mean()),
            "iou_gt_0.3": float(np.mean(iou_v > 0.3)),
            "iou_gt_0.5": float(np.mean(iou_v > 0.5)),
            "iobb_gt_0.5": float(np.mean(iobb_v > 0.5)),
        }
    return out


def localisation_figures(
    items: list[tuple[np.ndarray, tuple[int, int], tuple[float, float, float, float]]],
    frame: int = NIH_FRAME,
    work_side: int = 256,
) -> dict:
    """The map's figures beside the central blob's on the same boxes.

    Args:
        items: (attention W (h, w), film shape (H, W), box (x, y, w, h) in the ``frame`` px NIH frame).
        frame: the side the boxes refer to.
        work_side: maps are upsampled to the film's aspect at this longest side (box-level
            figures do not change at full resolution, the cost does).

    Returns:
        {"model": summary, "central_blob": summary, "definition": text}.
    """
    model, blob = [], []
    for w, (h_img, w_img), box in items:
        scale = work_side / max(h_img, w_img)
        shape = (max(1, round(h_img * scale)), max(1, round(w_img * scale)))
        truth = pixel_box(box, shape, frame)  # the frame spans the whole film
        model.append(score_map(upsample_attention(w, shape), truth))
        blob.append(score_map(central_blob(shape), truth))
    return {
        "model": summarise_scores(model),
        "central_blob": summarise_scores(blob),
        "definition": "W upsampled (bicubic) and normalised to 0-255, thresholded at 60 and 180, the largest "
        "8-connected region's box vs the radiologist box (Wang et al. 2017); pointing = the "
        "map's peak inside the box; central_blob = a constant Gaussian on the median NIH "
        "cardiomegaly box, scored the same way",
    }

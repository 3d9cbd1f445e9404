"""What ``cardioview predict`` adds for the segmenter: options, the ctr column, --masks-out files.

Kept out of predict_cli.py so that module only calls in here.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image

from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.render.anatomy_overlay import automatic_calipers
from cardioview.render.ctr import CardiothoracicRatio


def add_anatomy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--masks-out", metavar="DIR",
                        help="write DIR/<stem>_heart.png and DIR/<stem>_lungs.png (0/255, the input's own size)")
    parser.add_argument("--anatomy-weights", metavar="BUNDLE", default=None,
                        help="heart/lung segmenter bundle (default: weights/cxr_anatomy when present)")
    parser.add_argument("--no-anatomy", dest="anatomy_weights", action="store_const", const=False,
                        help="skip the segmentation and the CTR")


def format_ctr(anatomy) -> str:
    """results.csv's ctr cell: 4 decimals, empty when there is no segmenter or the quality check failed."""
    if anatomy is None or anatomy.ctr is None:
        return ""
    return f"{anatomy.ctr:.4f}"


def anatomy_warnings(anatomy) -> tuple[str, ...]:
    """The reason for a missing CTR, and the CTR's own caveats (AP magnification)."""
    if anatomy is None:
        return ()
    reason = () if anatomy.ctr is not None else (f"no CTR: {anatomy.reason}",)
    return reason + tuple(w for w in anatomy.warnings)


def report_ctr(anatomy):
    """The automatic CTR as the report's CardiothoracicRatio with its two calipers, or None."""
    calipers = automatic_calipers(anatomy)
    return None if calipers is None else CardiothoracicRatio.from_calipers(*calipers)


def _png(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def save_masks(folder: Path, source: Path, anatomy) -> list[Path]:
    """``<stem>_heart.png`` and ``<stem>_lungs.png`` in ``folder`` (never over an existing file)."""
    if anatomy is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(source).stem
    return [atomic_write_bytes(unique_path(folder, f"{stem}_{name}"), _png(mask))
            for name, mask in (("heart", anatomy.at_image_size(anatomy.heart)),
                               ("lungs", anatomy.at_image_size(anatomy.lungs)))]

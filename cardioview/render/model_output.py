"""No model output on a film the model does not apply to (issue 18: patient safety).

On a not-applicable film (an MR, a CT, a knee, a test pattern...) the heat map, the heart/lung
outlines and the automatic CTR calipers are withheld, like the verdict, until the user asks
for the model output anyway; then they are drawn greyed and labelled as meaningless here.
The viewer's canvas and every report (PNG, DICOM secondary capture) follow these rules.
"""

from __future__ import annotations

import numpy as np

from cardioview.anatomy.ctr_source import AUTOMATIC, ctr_source

#: Said wherever withheld output is shown on request.
MEANINGLESS_NOTE = "Model output shown on request, greyed: it means nothing for this image"
WITHHELD_NOTE = "Model output withheld (attention map, outlines, automatic CTR): the model does not apply here"


def model_output_shown(prediction, revealed: bool) -> bool:
    """True when the heat map, outlines and automatic calipers may be drawn for ``prediction``.

    Args:
        prediction: the result, with its not-applicable reason attached.
        revealed: the user asked for the model output anyway ("Show model output anyway").
    """
    return prediction is not None and (prediction.applicable or bool(revealed))


def is_automatic_ctr(ctr, prediction) -> bool:
    """``ctr`` (a CardiothoracicRatio or None) is the segmenter's own measurement (its calipers, untouched),
    not a user's (anatomy.ctr_source: one rule)."""
    return ctr_source(ctr, getattr(prediction, "anatomy", None)) == AUTOMATIC


def greyed(rgb: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) ``rgb`` as its luminance on all three channels (colour taken out)."""
    luminance = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.repeat(np.clip(np.rint(luminance), 0, 255).astype(np.uint8)[..., None], 3, axis=2)

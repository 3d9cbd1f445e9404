"""The anatomy path's result for one film: heart and lung masks, the quality check and the automatic CTR."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cardioview.anatomy.cardiothoracic_ratio import CardiothoracicRatio
from cardioview.imageops import resize_nearest


@dataclass(frozen=True, eq=False)
class AnatomyResult:
    """Heart and lung segmentation of one film, and its CTR when the quality check passed.

    Attributes:
        heart: bool (h, w) mask, at the image's own size or, when ``image_shape`` is set,
            on the segmenter's output grid, where the runner measures (resizing three masks
            to a 3,000 px film would cost more than the network).
        lungs: bool (h, w), both lungs.
        right_lung, left_lung: bool (h, w), patient's right (image left) and left.
        measurement: the CTR with its two calipers, in the image's own pixels; None when no CTR was measured.
        passed: the quality-check verdict.
        reason: why no CTR is shown ("" when passed).
        warnings: caveats shown with the CTR, e.g. the AP magnification warning.
        adjusted: True once a user moved the calipers.
        model_id: the segmenter bundle's name + short hash.
        elapsed_ms: preprocess + forward + measurement.
        image_shape: the image's (H, W) when the masks are smaller than the image; None when equal.
    """

    heart: np.ndarray
    right_lung: np.ndarray
    left_lung: np.ndarray
    measurement: CardiothoracicRatio | None
    passed: bool
    reason: str = ""
    warnings: tuple[str, ...] = ()
    adjusted: bool = False
    model_id: str = ""
    elapsed_ms: float = 0.0
    image_shape: tuple[int, int] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """The image's (H, W), whatever size the masks are kept at."""
        return tuple(self.image_shape) if self.image_shape is not None else self.heart.shape

    def at_image_size(self, mask: np.ndarray) -> np.ndarray:
        """One of this result's masks resized (nearest) to the image's own size."""
        return mask if mask.shape == self.shape else resize_nearest(mask, self.shape)

    @property
    def lungs(self) -> np.ndarray:
        return self.right_lung | self.left_lung

    @property
    def ctr(self) -> float | None:
        """The CTR to show, or None when the quality check failed."""
        if not self.passed or self.measurement is None:
            return None
        return float(self.measurement.ratio)

    @property
    def source(self) -> str:
        return "adjusted" if self.adjusted else "automatic"

    def label(self) -> str:
        """Panel/report text: "CTR 0.58 (automatic)" or "CTR unavailable: lungs not found"."""
        if self.ctr is None:
            return f"CTR unavailable: {self.reason}"
        return f"CTR {self.ctr:.2f} ({self.source})"

    def with_measurement(self, measurement: CardiothoracicRatio) -> AnatomyResult:
        """The result after the user dragged the calipers."""
        return replace(self, measurement=measurement, adjusted=True, passed=True, reason="")

    def to_dict(self) -> dict:
        return {
            "ctr": None if self.ctr is None else round(self.ctr, 4),
            "source": self.source,
            "passed": self.passed,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "measurement": None if self.measurement is None else _caliper_dict(self.measurement),
            "model": self.model_id,
        }


def _caliper_dict(measurement: CardiothoracicRatio) -> dict:
    """Where the automatic CTR was measured, as the report metadata has always recorded it."""
    heart, thorax = measurement.heart, measurement.thorax
    values = {
        "heart_left": heart.x0,
        "heart_right": heart.x1,
        "heart_row": heart.y,
        "thorax_left": thorax.x0,
        "thorax_right": thorax.x1,
        "thorax_row": thorax.y,
    }
    return {**{k: round(float(v), 2) for k, v in values.items()}, "ctr": round(float(measurement.ratio), 4)}

"""Value types of the anatomy path: where the CTR came from, and the full result for one film."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cardioview.imageops import resize_nearest


@dataclass(frozen=True)
class CtrMeasurement:
    """A cardiothoracic ratio and exactly where it was measured (image pixel units, x to the right).

    Attributes:
        heart_left, heart_right: x of the heart's extreme points (image left/right).
        heart_row: the row the heart line is drawn on (its widest row).
        thorax_left, thorax_right: x of the right lung's outer edge (image left)
            and the left lung's outer edge (image right).
        thorax_row: the row of the widest internal thoracic diameter.
    """

    heart_left: float
    heart_right: float
    heart_row: float
    thorax_left: float
    thorax_right: float
    thorax_row: float

    @property
    def heart_width(self) -> float:
        return self.heart_right - self.heart_left

    @property
    def thorax_width(self) -> float:
        return self.thorax_right - self.thorax_left

    @property
    def ctr(self) -> float:
        return self.heart_width / self.thorax_width if self.thorax_width > 0 else float("nan")

    def scaled(self, sx: float, sy: float) -> "CtrMeasurement":
        """The same measurement in an image resized by (sx, sy) (pixel edges kept aligned)."""
        return CtrMeasurement(self.heart_left * sx, self.heart_right * sx, (self.heart_row + 0.5) * sy - 0.5,
                              self.thorax_left * sx, self.thorax_right * sx, (self.thorax_row + 0.5) * sy - 0.5)

    def to_dict(self) -> dict:
        d = {k: round(float(getattr(self, k)), 2) for k in
             ("heart_left", "heart_right", "heart_row", "thorax_left", "thorax_right", "thorax_row")}
        d["ctr"] = round(float(self.ctr), 4)
        return d


@dataclass(frozen=True, eq=False)
class AnatomyResult:
    """Heart and lung segmentation of one film, and its CTR when the quality check passed.

    Attributes:
        heart: bool (h, w) mask, at the image's own size or, when ``image_shape`` is set,
            on the segmenter's output grid, where the runner measures (resizing three masks
            to a 3,000 px film would cost more than the network).
        lungs: bool (h, w), both lungs.
        right_lung, left_lung: bool (h, w), patient's right (image left) and left.
        measurement: where the CTR was measured, in the image's own pixels; None when the check failed.
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
    measurement: CtrMeasurement | None
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
        return float(self.measurement.ctr)

    @property
    def source(self) -> str:
        return "adjusted" if self.adjusted else "automatic"

    def label(self) -> str:
        """Panel/report text: "CTR 0.58 (automatic)" or "CTR unavailable: lungs not found"."""
        if self.ctr is None:
            return f"CTR unavailable: {self.reason}"
        return f"CTR {self.ctr:.2f} ({self.source})"

    def with_measurement(self, measurement: CtrMeasurement) -> "AnatomyResult":
        """The result after the user dragged the calipers."""
        return replace(self, measurement=measurement, adjusted=True, passed=True, reason="")

    def to_dict(self) -> dict:
        return {
            "ctr": None if self.ctr is None else round(self.ctr, 4),
            "source": self.source,
            "passed": self.passed,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "measurement": None if self.measurement is None else self.measurement.to_dict(),
            "model": self.model_id,
        }

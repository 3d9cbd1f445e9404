"""The one cardiothoracic ratio (CTR) value type: the segmenter's, the reader's calipers, the report's and the SR's.

CTR = maximal transverse cardiac width / maximal internal thoracic width on a
PA film; above 0.5 suggests cardiomegaly. AP films magnify the heart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: CTR above this suggests an enlarged cardiac silhouette (PA film).
CTR_LIMIT = 0.5


@dataclass(frozen=True)
class Caliper:
    """A horizontal width measured on the image, in the XRay's pixel coordinates (x at pixel edges)."""

    x0: float
    x1: float
    y: float

    @property
    def width(self) -> float:
        return abs(self.x1 - self.x0)

    def scaled(self, sx: float, sy: float) -> Caliper:
        """The same line in an image resized by (sx, sy) (pixel edges kept aligned)."""
        return Caliper(self.x0 * sx, self.x1 * sx, (self.y + 0.5) * sy - 0.5)

    def to_dict(self) -> dict:
        return {"x0": round(self.x0, 2), "x1": round(self.x1, 2), "y": round(self.y, 2)}


@dataclass(frozen=True)
class CardiothoracicRatio:
    """A CTR value, with the two calipers it was measured from when known.

    Build it from calipers with :meth:`from_calipers`, or from a bare ratio.
    """

    ratio: float
    heart: Caliper | None = None
    thorax: Caliper | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ratio) and self.ratio > 0):
            raise ValueError(f"cardiothoracic ratio must be a positive number, got {self.ratio}")

    @classmethod
    def from_calipers(cls, heart: Caliper, thorax: Caliper) -> CardiothoracicRatio:
        if thorax.width <= 0:
            raise ValueError("the thoracic caliper has zero width")
        return cls(heart.width / thorax.width, heart, thorax)

    @property
    def enlarged(self) -> bool:
        return self.ratio > CTR_LIMIT

    def scaled(self, sx: float, sy: float) -> CardiothoracicRatio:
        """The same measurement in an image resized by (sx, sy); a bare ratio stays as it is."""
        if self.heart is None or self.thorax is None:
            return self
        return CardiothoracicRatio.from_calipers(self.heart.scaled(sx, sy), self.thorax.scaled(sx, sy))

    def diameters(self, pixel_spacing: tuple[float, float] | None = None) -> tuple[float | None, float | None, bool]:
        """(heart, thorax, in_mm): the caliper widths in mm when the column spacing is known, else in pixels."""
        scale = float(pixel_spacing[1]) if pixel_spacing else 1.0
        heart = self.heart.width * scale if self.heart is not None else None
        thorax = self.thorax.width * scale if self.thorax is not None else None
        return heart, thorax, bool(pixel_spacing)

    def to_dict(self) -> dict:
        return {
            "ratio": round(self.ratio, 4),
            "limit": CTR_LIMIT,
            "enlarged": self.enlarged,
            "heart": self.heart.to_dict() if self.heart else None,
            "thorax": self.thorax.to_dict() if self.thorax else None,
        }


def as_ctr(value: float | CardiothoracicRatio | None) -> CardiothoracicRatio | None:
    """Accept a bare ratio or a measurement."""
    if value is None or isinstance(value, CardiothoracicRatio):
        return value
    return CardiothoracicRatio(float(value))

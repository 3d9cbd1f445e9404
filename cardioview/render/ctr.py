"""Cardiothoracic ratio (CTR): the classical measurement a report can carry beside P.

CTR = maximal transverse cardiac width / maximal internal thoracic width on a
PA film; above 0.5 suggests cardiomegaly. AP films magnify the heart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: CTR above this suggests an enlarged cardiac silhouette (PA film).
CTR_LIMIT = 0.5
#: How the report draws each caliper: RGB colour and its name for the legend.
CALIPER_COLOURS = {"heart": ((90, 200, 255), "blue"), "thorax": ((255, 214, 90), "yellow")}


@dataclass(frozen=True)
class Caliper:
    """A horizontal width measured on the image, in the XRay's pixel coordinates."""

    x0: float
    x1: float
    y: float

    @property
    def width(self) -> float:
        return abs(self.x1 - self.x0)

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
    def from_calipers(cls, heart: Caliper, thorax: Caliper) -> "CardiothoracicRatio":
        if thorax.width <= 0:
            raise ValueError("the thoracic caliper has zero width")
        return cls(heart.width / thorax.width, heart, thorax)

    @property
    def enlarged(self) -> bool:
        return self.ratio > CTR_LIMIT

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

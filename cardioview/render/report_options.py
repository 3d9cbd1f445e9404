"""The settings of a report besides the X-ray and the prediction (:class:`ReportOptions`), checked when made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cardioview import __version__
from cardioview.anatomy.cardiothoracic_ratio import CardiothoracicRatio, as_ctr
from cardioview.render.colormaps import DEFAULT_COLORMAP, colormap_lut
from cardioview.render.overlay import DEFAULT_OPACITY, DEFAULT_SCALE, AttentionScale


@dataclass(frozen=True)
class ReportOptions:
    """Everything about a report besides the X-ray and the prediction.

    Attributes:
        opacity: heat-map opacity in the overlay panel (paper: 0.2).
        colormap: a name from COLORMAPS.
        scale: "relative" or "absolute" attention scale.
        deidentify: leave out the patient's and the study's identifying fields
            and the source file name, from both the picture and the JSON.
        app_version: CardioView version printed in the footer.
        created: report time (timezone-aware preferred); default now.
        ctr: a cardiothoracic ratio (bare float or a measurement with calipers).
        default_threshold: the model's own threshold; when the prediction's
            differs the report prints both.
        operating_point: validation sensitivity/specificity at the prediction's
            threshold, when known ({"sensitivity": .., "specificity": ..}).
        window: the window/level the X-ray panel shows, e.g. "W 1200 / L 600"
            ("" when the default display was used).
        invert: the grey scale was inverted for display.
        export_index: the report's row in a de-identified batch export (its file
            name carries it too); the audit log maps it back to the image.
        show_model_output: on a not-applicable image, the user asked for the model output
            anyway: the heat map, outlines and automatic CTR are drawn greyed and labelled
            (withheld otherwise; issue 18).
        comparison: the change since the patient's prior study (issue 23), drawn as an optional section.
    """

    opacity: float = DEFAULT_OPACITY
    colormap: str = DEFAULT_COLORMAP
    scale: AttentionScale | str = DEFAULT_SCALE
    deidentify: bool = False
    app_version: str = __version__
    created: datetime = field(default_factory=lambda: datetime.now().astimezone())
    ctr: float | CardiothoracicRatio | None = None
    default_threshold: float | None = None
    operating_point: dict | None = None
    window: str = ""
    invert: bool = False
    export_index: int | None = None
    show_model_output: bool = False
    comparison: object | None = None  # issue 23: a comparison.change.Change since the prior; None: no section

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", AttentionScale(self.scale))
        object.__setattr__(self, "colormap", str(self.colormap).lower())
        object.__setattr__(self, "ctr", as_ctr(self.ctr))
        colormap_lut(self.colormap)  # fail early on an unknown name
        if not 0.0 <= float(self.opacity) <= 1.0:
            raise ValueError(f"opacity must be within [0, 1], got {self.opacity}")


def as_options(options: ReportOptions | None, settings: dict) -> ReportOptions:
    """``options``, or ReportOptions built from keyword ``settings`` (not both)."""
    if options is not None and settings:
        raise TypeError("pass either a ReportOptions or keyword settings, not both")
    return options if options is not None else ReportOptions(**settings)

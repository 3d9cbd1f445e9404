"""What a report says: its text lines and its embedded JSON, independent of layout.

The renderer draws exactly :func:`report_lines`, and the PNG's metadata holds
the same lines, so what the picture says can be checked without OCR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from cardioview import __version__
from cardioview.anatomy.cardiothoracic_ratio import CTR_LIMIT, CardiothoracicRatio, as_ctr
from cardioview.imaging.xray import XRay, XRayMetadata
from cardioview.model.prediction import Prediction
from cardioview.render.anatomy_overlay import CALIPER_COLOURS, anatomy_report_texts
from cardioview.render.colormaps import DEFAULT_COLORMAP, colormap_lut
from cardioview.render.comparison_section import comparison_metadata, comparison_texts
from cardioview.render.model_output import MEANINGLESS_NOTE, WITHHELD_NOTE, is_automatic_ctr, model_output_shown
from cardioview.render.overlay import DEFAULT_OPACITY, DEFAULT_SCALE, AttentionScale

REPORT_FORMAT = "cardioview-report"
REPORT_FORMAT_VERSION = 1
NOT_FOR_DIAGNOSTIC_USE = "NOT FOR DIAGNOSTIC USE \u2014 research and decision support only"
DEIDENTIFIED = "De-identified"


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


@dataclass(frozen=True)
class ReportLine:
    """One piece of text the report draws.

    Attributes:
        text: the words.
        section: where it goes: title, created, disclaimer, caption, colorbar,
            result, patient, analysis, warnings, footer.
        style: how it looks: title, muted, banner, caption, probability,
            positive, negative (the verdict), alert, ok (other flags),
            heading, body, warning.
    """

    text: str
    section: str
    style: str = "body"


def as_options(options: ReportOptions | None, settings: dict) -> ReportOptions:
    """``options``, or ReportOptions built from keyword ``settings`` (not both)."""
    if options is not None and settings:
        raise TypeError("pass either a ReportOptions or keyword settings, not both")
    return options if options is not None else ReportOptions(**settings)


def not_for_diagnostic_use(prediction: Prediction) -> bool:
    """True unless the model bundle is declared for clinical use."""
    return prediction.intended_use.strip().lower() != "clinical"


def _decimals(value: float, minimum: int = 2) -> str:
    """Short but exact enough: 0.5 -> '0.50', 0.437 -> '0.437'."""
    text = f"{value:.3f}".rstrip("0")
    decimals = max(minimum, len(text.split(".")[1]) if "." in text else 0)
    return f"{value:.{decimals}f}"


def format_w(value: float, low: float, high: float) -> str:
    """A W value with enough decimals to tell the colour bar's ends apart."""
    span = high - low
    decimals = 3 if span <= 0 else max(2, min(6, math.ceil(-math.log10(span)) + 2))
    return f"{value:.{decimals}f}"


def attention_range(prediction: Prediction, scale: AttentionScale) -> tuple[float, float]:
    """The W values at the colour bar's bottom and top."""
    if scale is AttentionScale.ABSOLUTE:
        return 0.0, 1.0
    attention = np.asarray(prediction.attention, dtype=np.float32)
    return float(attention.min()), float(attention.max())


def _person_name(name: str) -> str:
    """DICOM PN 'FAMILY^GIVEN^MIDDLE' -> 'FAMILY, GIVEN MIDDLE'."""
    parts = [p.strip() for p in name.split("=")[0].split("^")]
    family, rest = parts[0], " ".join(p for p in parts[1:] if p)
    return f"{family}, {rest}" if family and rest else family or rest


def _age(age: str) -> str:
    """DICOM AS '058Y' -> '58 y'; anything else as given."""
    units = {"D": "d", "W": "wk", "M": "mo", "Y": "y"}
    if len(age) == 4 and age[:3].isdigit() and age[3] in units:
        return f"{int(age[:3])} {units[age[3]]}"
    return age


def _date(value: str) -> str:
    """DICOM DA 'YYYYMMDD' -> 'YYYY-MM-DD'."""
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def _joined(*parts: str, sep: str = " \u00b7 ") -> str:
    return sep.join(p for p in parts if p)


def _labelled(label: str, value: str) -> str:
    return f"{label}: {value}" if value else ""


def _patient_lines(xray: XRay, meta: XRayMetadata, deidentify: bool) -> list[str]:
    """Patient and study facts; with ``deidentify``, only the non-identifying ones.

    ``meta`` is already de-identified then; the file name is left out too, as
    file names often carry a patient name or an accession number.
    """
    sex_age = " / ".join(p for p in (meta.patient_sex, _age(meta.patient_age)) if p)
    view = _joined(
        f"View {meta.view_position}" if meta.view_position else "",
        f"Modality {meta.modality}" if meta.modality else "",
        meta.body_part,
    )
    if deidentify:
        return [DEIDENTIFIED] + [line for line in (_labelled("Sex / age", sex_age), view) if line]
    lines = [
        _labelled("Name", _person_name(meta.patient_name)),
        _labelled("Patient ID", meta.patient_id),
        _labelled("Sex / age", sex_age),
        _labelled("Study", _joined(_date(meta.study_date), meta.study_description)),
        _labelled("Series", meta.series_description),
        view,
        _labelled("SOP Instance UID", meta.sop_instance_uid),
    ]
    lines = [line for line in lines if line] or ["No patient or study details in the source file"]
    return lines + [f"File: {xray.name}"]


def _analysis_lines(xray: XRay, prediction: Prediction, options: ReportOptions) -> list[str]:
    low, high = attention_range(prediction, options.scale)
    if options.scale is AttentionScale.ABSOLUTE:
        scale_text = "Attention scale: absolute (W 0\u20131, comparable across images)"
    elif high - low < 1e-6:
        scale_text = f"Attention scale: relative; W is constant ({format_w(low, low, high)}), no pattern to show"
    else:
        span = f"{format_w(low, low, high)}\u2013{format_w(high, low, high)}"
        scale_text = f"Attention scale: relative, this image's W {span} spans the colour bar"
    height, width = xray.shape
    image = f"Image: {width} x {height} px"
    if xray.pixel_spacing:
        image += f", pixel spacing {xray.pixel_spacing[0]:.3f} x {xray.pixel_spacing[1]:.3f} mm"
    return [
        f"Model: {prediction.model_id} (intended use: {prediction.intended_use})",
        f"Backend: {prediction.backend} on {prediction.device}, {prediction.elapsed_ms:.0f} ms",
        f"Network input: {prediction.input_size[1]} x {prediction.input_size[0]} px",
        image,
        scale_text,
        f"Overlay: {options.colormap}, opacity {options.opacity:.2f}",
        f"Display: {options.window or 'default window'}" + (", grey scale inverted" if options.invert else ""),
    ] + ([prediction.attention_note] if prediction.attention_note else [])


def _caliper_length(width_px: float, spacing: tuple[float, float] | None) -> str:
    """A horizontal caliper's length in mm when the pixel spacing is known, else in px."""
    return f"{width_px * spacing[1]:.0f} mm" if spacing else f"{width_px:.0f} px"


def _ctr_lines(
    ctr: CardiothoracicRatio, view_position: str, spacing: tuple[float, float] | None = None
) -> list[ReportLine]:
    relation = ">" if ctr.enlarged else "\u2264"
    verdict = "enlarged cardiac silhouette" if ctr.enlarged else "within the usual limit"
    text = f"Cardiothoracic ratio {ctr.ratio:.2f} {relation} {CTR_LIMIT:.2f}: {verdict}"
    lines = [ReportLine(text, "result", "alert" if ctr.enlarged else "ok")]
    drawn = [name for name in ("heart", "thorax") if getattr(ctr, name) is not None]
    if drawn:
        legend = ", ".join(
            f"{name} {_caliper_length(getattr(ctr, name).width, spacing)} in {CALIPER_COLOURS[name][1]}"
            for name in drawn
        )
        lines.append(ReportLine(f"Calipers on the X-ray: {legend}", "result", "body"))
    if view_position.strip().upper() == "AP":
        lines.append(ReportLine("AP view magnifies the heart: the CTR overstates its size", "result", "warning"))
    return lines


def applicability(xray: XRay, prediction: Prediction) -> Prediction:
    """``prediction`` with the image's not-applicable reason attached if it was not already."""
    return prediction if prediction.not_applicable else prediction.for_xray(xray)


def report_ctr(prediction: Prediction, options: ReportOptions) -> CardiothoracicRatio | None:
    """The CTR the report draws: a user's measurement always; the segmenter's only where its output is shown.

    Args:
        prediction: with its not-applicable reason attached (see :func:`applicability`).
    """
    if options.ctr is None or model_output_shown(prediction, options.show_model_output):
        return options.ctr
    return None if is_automatic_ctr(options.ctr, prediction) else options.ctr


def model_output_state(prediction: Prediction, options: ReportOptions) -> str:
    """'shown', 'withheld' (not applicable) or 'greyed' (not applicable, shown on request)."""
    if prediction.applicable:
        return "shown"
    return "greyed" if model_output_shown(prediction, options.show_model_output) else "withheld"


def _threshold_text(prediction: Prediction, options: ReportOptions) -> str:
    """'0.600 (model default 0.463; sensitivity 0.81, specificity 0.77)' when the user changed it."""
    default = options.default_threshold
    op = options.operating_point or {}
    figures = (
        f"validation sensitivity {op['sensitivity']:.2f}, specificity {op['specificity']:.2f}"
        if "sensitivity" in op and "specificity" in op
        else ""
    )
    if default is None:
        return _decimals(prediction.threshold)
    if abs(default - prediction.threshold) < 5e-4:
        return f"{prediction.threshold:.3f} (model default" + (f"; {figures})" if figures else ")")
    return f"{prediction.threshold:.3f} (model default {default:.3f}" + (f"; {figures} here)" if figures else ")")


def merged_warnings(xray: XRay, prediction: Prediction) -> list[str]:
    """X-ray and prediction warnings, each once, in order."""
    return list(dict.fromkeys((*xray.warnings, *prediction.warnings)))


def report_lines(
    xray: XRay, prediction: Prediction, options: ReportOptions | None = None, **settings
) -> list[ReportLine]:
    """Every text the report draws, in drawing order within each section.

    Args:
        options: a ReportOptions, or instead its fields as keywords (``deidentify=True``).
    """
    options = as_options(options, settings)
    meta = xray.metadata.deidentified() if options.deidentify else xray.metadata
    created = options.created.strftime("%Y-%m-%d %H:%M %z").strip()
    prediction = applicability(xray, prediction)
    verdict = "POSITIVE" if prediction.positive else "NEGATIVE"
    low, high = attention_range(prediction, options.scale)

    lines = [
        ReportLine("CardioView \u2014 cardiomegaly analysis", "title", "title"),
        ReportLine(f"Report created {created}", "created", "muted"),
    ]
    if not_for_diagnostic_use(prediction):
        lines.append(ReportLine(NOT_FOR_DIAGNOSTIC_USE, "disclaimer", "banner"))
    lines += [
        ReportLine("X-ray", "caption", "caption"),
        ReportLine(f"Attention map W \u00b7 {options.scale.value} scale", "caption", "caption"),
        ReportLine(format_w(high, low, high), "colorbar", "caption"),
        ReportLine(format_w(low, low, high), "colorbar", "caption"),
    ]
    if prediction.applicable:
        lines += [
            ReportLine(f"P(cardiomegaly) = {prediction.probability:.3f}", "result", "probability"),
            ReportLine(
                f"{verdict} for cardiomegaly at threshold {_threshold_text(prediction, options)}",
                "result",
                "positive" if prediction.positive else "negative",
            ),
        ]
    elif model_output_shown(prediction, options.show_model_output):
        # No verdict where the model does not apply; the number is kept small and labelled as meaningless.
        lines += [
            ReportLine(f"Not applicable: {prediction.not_applicable}", "result", "alert"),
            ReportLine(
                f"No verdict. The model output ({prediction.probability:.3f}) has no meaning for this image.",
                "result",
                "warning",
            ),
            ReportLine(MEANINGLESS_NOTE, "result", "warning"),
        ]
    else:
        lines += [
            ReportLine(f"Not applicable: {prediction.not_applicable}", "result", "alert"),
            ReportLine(f"No verdict. {WITHHELD_NOTE}.", "result", "warning"),
        ]
    ctr = report_ctr(prediction, options)
    if ctr is not None:
        lines += _ctr_lines(ctr, meta.view_position, xray.pixel_spacing)
    if model_output_shown(prediction, options.show_model_output):
        # issue 12: the automatic CTR's source (automatic/adjusted) or why there is none
        lines += [ReportLine(text, "result", style) for text, style in anatomy_report_texts(prediction, ctr)]
    # issue 23: the optional comparison with the prior study (render/comparison_section.py)
    lines += [
        ReportLine(text, "result", style) for text, style in comparison_texts(options.comparison, options.deidentify)
    ]
    lines.append(ReportLine("Patient and study", "patient", "heading"))
    lines += [ReportLine(text, "patient") for text in _patient_lines(xray, meta, options.deidentify)]
    lines.append(ReportLine("Analysis", "analysis", "heading"))
    lines += [ReportLine(text, "analysis") for text in _analysis_lines(xray, prediction, options)]
    warnings = merged_warnings(xray, prediction)
    if warnings:
        lines.append(ReportLine("Warnings", "warnings", "heading"))
        lines += [ReportLine(f"\u26a0 {w}", "warnings", "warning") for w in warnings]
    lines.append(
        ReportLine(
            f"CardioView {options.app_version}. The attention map shows where the model looked; "
            "it does not outline the heart.",
            "footer",
            "muted",
        )
    )
    return lines


def report_metadata(
    xray: XRay,
    prediction: Prediction,
    options: ReportOptions | None = None,
    lines: list[ReportLine] | None = None,
    **settings,
) -> dict:
    """The JSON embedded in the report PNG (no patient fields when de-identifying).

    Args:
        options: a ReportOptions, or instead its fields as keywords.
        lines: the lines already made by :func:`report_lines`, to save redoing them.
    """
    options = as_options(options, settings)
    meta = xray.metadata.deidentified() if options.deidentify else xray.metadata
    lines = lines if lines is not None else report_lines(xray, prediction, options)
    low, high = attention_range(prediction, options.scale)
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_FORMAT_VERSION,
        "app_version": options.app_version,
        "created": options.created.isoformat(timespec="seconds"),
        "not_for_diagnostic_use": not_for_diagnostic_use(prediction),
        "deidentified": bool(options.deidentify),
        "export_index": options.export_index,
        "prediction": applicability(xray, prediction).to_dict(),
        "warnings": merged_warnings(xray, prediction),
        "display": {
            "opacity": round(float(options.opacity), 4),
            "colormap": options.colormap,
            "scale": options.scale.value,
            "attention_range": [round(low, 6), round(high, 6)],
            "window": options.window,
            "invert": bool(options.invert),
            "model_output": model_output_state(applicability(xray, prediction), options),
        },
        "ctr": ctr.to_dict() if (ctr := report_ctr(applicability(xray, prediction), options)) else None,
        "image": {
            "file": None if options.deidentify else xray.name,
            "shape": list(xray.shape),
            "pixel_spacing": list(xray.pixel_spacing) if xray.pixel_spacing else None,
        },
        "study": meta.to_dict(),
        "comparison": comparison_metadata(options.comparison, options.deidentify),  # issue 23
        "lines": [line.text for line in lines],
    }

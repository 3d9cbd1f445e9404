"""What a report says: its text lines and its embedded JSON, independent of layout.

The renderer draws exactly :func:`report_lines`, and the PNG's metadata holds
the same lines, so what the picture says can be checked without OCR. The settings are
:class:`~cardioview.render.report_options.ReportOptions`; the patient lines come from patient_lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cardioview.anatomy.cardiothoracic_ratio import CTR_LIMIT, CardiothoracicRatio
from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction
from cardioview.render.anatomy_overlay import CALIPER_COLOURS, anatomy_report_texts
from cardioview.render.comparison_section import comparison_metadata, comparison_texts
from cardioview.render.model_output import MEANINGLESS_NOTE, WITHHELD_NOTE, is_automatic_ctr, model_output_shown
from cardioview.render.overlay import AttentionScale
from cardioview.render.patient_lines import patient_lines
from cardioview.render.report_options import ReportOptions, as_options

REPORT_FORMAT = "cardioview-report"
REPORT_FORMAT_VERSION = 1
NOT_FOR_DIAGNOSTIC_USE = "NOT FOR DIAGNOSTIC USE \u2014 research and decision support only"


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
    lines += [ReportLine(text, "patient") for text in patient_lines(xray, meta, options.deidentify)]
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

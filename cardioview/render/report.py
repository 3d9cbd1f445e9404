"""The annotated report: X-ray and overlay side by side, the result, and the facts behind it.

:func:`build_report` draws :func:`~cardioview.render.report_content.report_lines`
and returns the picture with its JSON; :func:`write_report` saves them as one
PNG (JSON in an iTXt chunk keyed "cardioview"), atomically and never over an
existing file.

Example:
    >>> report = build_report(xray, prediction, ReportOptions(deidentify=True))
    >>> write_report(unique_path(out_dir, xray.source.stem + "_report"), report.image, report.metadata)
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, PngImagePlugin, UnidentifiedImageError

from cardioview import __version__
from cardioview.anatomy.cardiothoracic_ratio import CardiothoracicRatio
from cardioview.atomic import atomic_write_bytes, unique_path  # noqa: F401  (unique_path: re-exported for callers)
from cardioview.errors import ImageLoadError
from cardioview.imageops import resize_for_display, to_uint8
from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction
from cardioview.render.anatomy_overlay import CALIPER_COLOURS, outlined_picture
from cardioview.render.colormaps import DEFAULT_COLORMAP, colorize
from cardioview.render.fonts import drawable_text, report_font
from cardioview.render.model_output import greyed, model_output_shown
from cardioview.render.overlay import DEFAULT_OPACITY, DEFAULT_SCALE, AttentionScale, attention_heat, blend
from cardioview.render.report_content import ReportLine, applicability, report_ctr, report_lines, report_metadata
from cardioview.render.report_options import ReportOptions, as_options

#: PNG text key holding the report JSON.
METADATA_KEY = "cardioview"
#: Panels are this tall whatever the source size, so text sizes suit every report.
PANEL_HEIGHT = 1024
#: Panel width stays within these multiples of its height (odd aspect ratios are letterboxed).
PANEL_ASPECT_LIMITS = (0.6, 1.4)

MARGIN, GAP, BAR_WIDTH = 48, 32, 30
BACKGROUND = (22, 24, 28)
PANEL_BACKGROUND = (0, 0, 0)
_TEXT, _MUTED, _BODY = (236, 238, 241), (150, 156, 165), (206, 210, 216)
_RED, _GREEN, _AMBER = (255, 99, 92), (88, 204, 128), (245, 184, 65)
_BANNER_FILL = (176, 28, 36)
#: style -> (pixel size, bold, colour)
STYLES = {
    "title": (40, True, _TEXT),
    "muted": (22, False, _MUTED),
    "banner": (30, True, (255, 255, 255)),
    "caption": (24, False, _MUTED),
    "probability": (64, True, _TEXT),
    "positive": (36, True, _RED),
    "negative": (36, True, _GREEN),
    "alert": (28, True, _RED),
    "ok": (28, True, _GREEN),
    "heading": (28, True, _TEXT),
    "body": (25, False, _BODY),
    "warning": (25, False, _AMBER),
}
_LINE_SPACING = 1.4


@dataclass(frozen=True, eq=False)
class Report:
    """A rendered report: the RGB picture, the JSON to embed, and the lines drawn."""

    image: np.ndarray
    metadata: dict
    lines: tuple[ReportLine, ...]
    panels: tuple[np.ndarray, ...] = ()  # the X-ray and overlay pictures as drawn (before placing on the page)


def _style(style: str):
    size, bold, colour = STYLES[style]
    return report_font(size, bold), bold, colour


def _line_height(style: str) -> int:
    return int(round(STYLES[style][0] * _LINE_SPACING))


def _wrap(text: str, style: str, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels; words longer than a line (UIDs) are cut."""
    font, bold, _ = _style(style)
    text = drawable_text(text, bold)
    rows: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            rows.append(current)
        current = word
        while font.getlength(current) > width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and font.getlength(current[:cut]) > width:
                cut -= 1
            rows.append(current[:cut])
            current = current[cut:]
    rows.append(current)
    return rows


def _draw_block(draw: ImageDraw.ImageDraw, lines: list[ReportLine], x: int, y: int, width: int) -> int:
    """Draw wrapped lines from (x, y); returns the y below them."""
    for line in lines:
        font, _, colour = _style(line.style)
        for row in _wrap(line.text, line.style, width):
            draw.text((x, y), row, font=font, fill=colour)
            y += _line_height(line.style)
    return y


def _panel_geometry(shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(panel (w, h), fitted image (w, h), image offset (x, y) inside the panel)."""
    height, width = shape
    low, high = PANEL_ASPECT_LIMITS
    panel_w = int(round(PANEL_HEIGHT * min(max(width / height, low), high)))
    fit = min(panel_w / width, PANEL_HEIGHT / height)
    fit_w, fit_h = max(1, int(round(width * fit))), max(1, int(round(height * fit)))
    return (panel_w, PANEL_HEIGHT), (fit_w, fit_h), ((panel_w - fit_w) // 2, (PANEL_HEIGHT - fit_h) // 2)


def _fit(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize uint8 gray to (w, h): area averaging to shrink, bicubic to enlarge (bilinear looks blocky at 8x)."""
    return resize_for_display(gray, (size[1], size[0]))


def _draw_calipers(draw: ImageDraw.ImageDraw, ctr: CardiothoracicRatio, scale: float, origin: tuple[int, int]) -> None:
    for name in ("thorax", "heart"):
        caliper, colour = getattr(ctr, name), CALIPER_COLOURS[name][0]
        if caliper is None:
            continue
        x0, x1 = (origin[0] + (v + 0.5) * scale - 0.5 for v in (caliper.x0, caliper.x1))
        y = origin[1] + (caliper.y + 0.5) * scale - 0.5
        draw.line([(x0, y), (x1, y)], fill=colour, width=3)
        for x in (x0, x1):
            draw.line([(x, y - 12), (x, y + 12)], fill=colour, width=3)


def _colorbar(height: int, colormap: str) -> np.ndarray:
    ramp = np.linspace(1.0, 0.0, height, dtype=np.float32)[:, None].repeat(BAR_WIDTH, axis=1)
    return colorize(ramp, colormap)


@dataclass(frozen=True, eq=False)
class _Page:
    """Everything the layout needs, computed once; drawn twice (to measure, then for real)."""

    sections: dict[str, list[ReportLine]]
    width: int
    panel_size: tuple[int, int]
    image_offset: tuple[int, int]
    pictures: tuple[np.ndarray, np.ndarray]
    colorbar: np.ndarray
    ctr: CardiothoracicRatio | None
    ctr_scale: float


def _text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], line: ReportLine, anchor: str) -> None:
    font, bold, colour = _style(line.style)
    draw.text(xy, drawable_text(line.text, bold), font=font, fill=colour, anchor=anchor)


def _draw_page(canvas: Image.Image, page: _Page) -> int:
    """Lay the page out top to bottom on ``canvas``; returns the height it needs."""
    draw = ImageDraw.Draw(canvas)
    sections, width = page.sections, page.width
    panel_w, panel_h = page.panel_size
    text_w = width - 2 * MARGIN
    column_w = (text_w - GAP) // 2

    y = MARGIN
    _draw_block(draw, sections["title"], MARGIN, y, text_w)
    _text(draw, (width - MARGIN, y + _line_height("title") // 2), sections["created"][0], "rm")
    y += _line_height("title") + 20
    if "disclaimer" in sections:
        draw.rounded_rectangle([MARGIN, y, width - MARGIN, y + 64], radius=8, fill=_BANNER_FILL)
        _text(draw, (width // 2, y + 32), sections["disclaimer"][0], "mm")
        y += 64 + 24

    x_panels = (MARGIN, MARGIN + panel_w + GAP)
    for x, caption in zip(x_panels, sections["caption"]):
        _draw_block(draw, [caption], x, y, panel_w)
    y += _line_height("caption")
    for x, picture in zip(x_panels, page.pictures):
        draw.rectangle([x, y, x + panel_w - 1, y + panel_h - 1], fill=PANEL_BACKGROUND)
        canvas.paste(Image.fromarray(picture), (x + page.image_offset[0], y + page.image_offset[1]))
    if page.ctr is not None:
        origin = (x_panels[0] + page.image_offset[0], y + page.image_offset[1])
        _draw_calipers(draw, page.ctr, page.ctr_scale, origin)
    bar_x = x_panels[1] + panel_w + 20
    canvas.paste(Image.fromarray(page.colorbar), (bar_x, y))
    draw.rectangle([bar_x - 1, y - 1, bar_x + BAR_WIDTH, y + panel_h], outline=_MUTED)
    top_label, bottom_label = sections["colorbar"]
    _text(draw, (bar_x + BAR_WIDTH + 12, y), top_label, "lt")
    _text(draw, (bar_x + BAR_WIDTH + 12, y + panel_h), bottom_label, "lb")
    y += panel_h + 24

    y = _draw_block(draw, sections["result"], MARGIN, y, text_w) + 24
    left_bottom = _draw_block(draw, sections["patient"], MARGIN, y, column_w)
    y = max(left_bottom, _draw_block(draw, sections["analysis"], MARGIN + column_w + GAP, y, column_w))
    if "warnings" in sections:
        y = _draw_block(draw, sections["warnings"], MARGIN, y + 24, text_w)
    draw.line([(MARGIN, y + 14), (width - MARGIN, y + 14)], fill=(60, 64, 72), width=1)
    return _draw_block(draw, sections["footer"], MARGIN, y + 32, text_w) + MARGIN


def build_report(xray: XRay, prediction: Prediction, options: ReportOptions | None = None, **settings) -> Report:
    """Render the report picture and its metadata.

    Args:
        options: a ReportOptions, or instead its fields as keywords (``opacity=0.3``).

    Returns:
        :class:`Report` with a uint8 (H, W, 3) RGB image, the JSON to embed and the lines drawn.
    """
    options = as_options(options, settings)
    lines = report_lines(xray, prediction, options)
    sections: dict[str, list[ReportLine]] = {}
    for line in lines:
        sections.setdefault(line.section, []).append(line)

    (panel_w, panel_h), (fit_w, fit_h), offset = _panel_geometry(xray.shape)
    gray = _fit(to_uint8(xray.pixels), (fit_w, fit_h))
    heat = attention_heat(prediction.attention, (fit_h, fit_w), options.scale).heat
    pictures = _pictures(gray, heat, applicability(xray, prediction), options)
    label_w = max(int(_style(line.style)[0].getlength(line.text)) for line in sections["colorbar"])
    page = _Page(
        sections=sections,
        width=MARGIN + 2 * panel_w + GAP + 20 + BAR_WIDTH + 12 + label_w + MARGIN,
        panel_size=(panel_w, panel_h),
        image_offset=offset,
        pictures=pictures,
        colorbar=_colorbar(panel_h, options.colormap),
        ctr=report_ctr(applicability(xray, prediction), options),
        ctr_scale=fit_w / xray.shape[1],
    )
    height = _draw_page(Image.new("RGB", (1, 1)), page)
    canvas = Image.new("RGB", (page.width, height), BACKGROUND)
    _draw_page(canvas, page)
    image = np.asarray(canvas, dtype=np.uint8).copy()
    return Report(image, report_metadata(xray, prediction, options, lines), tuple(lines), pictures)


def _pictures(
    gray: np.ndarray, heat: np.ndarray, prediction: Prediction, options: ReportOptions
) -> tuple[np.ndarray, np.ndarray]:
    """The X-ray panel (heart/lung outlines, issue 12) and the overlay panel.

    On a not-applicable image both show the bare X-ray unless the user asked for the model
    output anyway; then the outlines and the heat map are greyed (issue 18).
    """
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    if not model_output_shown(prediction, options.show_model_output):
        return rgb, rgb
    pictures = (outlined_picture(rgb, prediction), blend(gray, heat, options.opacity, options.colormap))
    return pictures if prediction.applicable else (greyed(pictures[0]), greyed(pictures[1]))


def render_report(
    xray: XRay,
    prediction: Prediction,
    *,
    opacity: float = DEFAULT_OPACITY,
    colormap: str = DEFAULT_COLORMAP,
    scale: AttentionScale | str = DEFAULT_SCALE,
    deidentify: bool = False,
    app_version: str = __version__,
    created: datetime | None = None,
    ctr: float | CardiothoracicRatio | None = None,
) -> np.ndarray:
    """The report picture, uint8 (H, W, 3) RGB (see :func:`build_report` for its metadata too)."""
    options = ReportOptions(
        opacity=opacity,
        colormap=colormap,
        scale=scale,
        deidentify=deidentify,
        app_version=app_version,
        created=created or datetime.now().astimezone(),
        ctr=ctr,
    )
    return build_report(xray, prediction, options).image


def write_report(path: str | Path, image_rgb: np.ndarray, metadata: dict) -> Path:
    """Save a report PNG with ``metadata`` as JSON text; atomic, never overwriting.

    The PNG is written to a temporary file in the target folder, then published
    with a hard link, which fails instead of replacing a file that appeared in
    the meantime; where the file system has no hard links it falls back to
    os.replace after a last existence check.

    Raises:
        FileExistsError: ``path`` already exists (use :func:`unique_path`).
        ValueError: the image is not uint8 (H, W, 3).
    """
    if image_rgb.dtype != np.uint8 or image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError(f"report image must be uint8 (H, W, 3), got {image_rgb.dtype} {image_rgb.shape}")
    info = PngImagePlugin.PngInfo()
    # ASCII JSON: a source path with undecodable file-name bytes (surrogate escapes) still encodes
    info.add_itxt(METADATA_KEY, json.dumps(metadata, ensure_ascii=True), zip=True)
    buffer = io.BytesIO()
    Image.fromarray(image_rgb, "RGB").save(buffer, format="PNG", pnginfo=info, compress_level=6)
    return atomic_write_bytes(path, buffer.getvalue())


def read_report_metadata(path: str | Path) -> dict:
    """The JSON a report PNG carries.

    Raises:
        ImageLoadError: not a readable PNG, or no CardioView metadata in it.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            text = getattr(image, "text", {}).get(METADATA_KEY)
    except (OSError, UnidentifiedImageError) as err:
        raise ImageLoadError(path, f"cannot read the report ({err.__class__.__name__})") from None
    if text is None:
        raise ImageLoadError(path, "no CardioView report metadata in this file")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ImageLoadError(path, "CardioView report metadata is not valid JSON") from None

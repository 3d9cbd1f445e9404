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

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, PngImagePlugin, UnidentifiedImageError

from cardioview import __version__
from cardioview.errors import ImageLoadError
from cardioview.imaging.xray import XRay
from cardioview.inference.prediction import Prediction
from cardioview.inference.preprocess import to_uint8
from cardioview.render.colormaps import DEFAULT_COLORMAP, colorize
from cardioview.render.ctr import CALIPER_COLOURS, CardiothoracicRatio
from cardioview.render.fonts import drawable_text, report_font
from cardioview.render.overlay import DEFAULT_OPACITY, DEFAULT_SCALE, AttentionScale, attention_heat, blend
from cardioview.render.report_content import ReportLine, ReportOptions, report_lines, report_metadata

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


def _block_height(lines: list[ReportLine], width: int) -> int:
    return sum(_line_height(line.style) * len(_wrap(line.text, line.style, width)) for line in lines)


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
    if gray.shape[::-1] == size:
        return gray
    enlarging = size[0] * size[1] > gray.shape[0] * gray.shape[1]
    return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC if enlarging else cv2.INTER_AREA)


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


def build_report(xray: XRay, prediction: Prediction, options: ReportOptions | None = None) -> Report:
    """Render the report picture and its metadata.

    Returns:
        :class:`Report` with a uint8 (H, W, 3) RGB image.
    """
    options = options or ReportOptions()
    lines = report_lines(xray, prediction, options)
    by_section: dict[str, list[ReportLine]] = {}
    for line in lines:
        by_section.setdefault(line.section, []).append(line)

    (panel_w, panel_h), (fit_w, fit_h), offset = _panel_geometry(xray.shape)
    gray = _fit(to_uint8(xray.pixels), (fit_w, fit_h))
    heat = attention_heat(prediction.attention, (fit_h, fit_w), options.scale).heat
    bar_labels = by_section["colorbar"]
    label_w = max(int(_style(line.style)[0].getlength(line.text)) for line in bar_labels)
    width = MARGIN + 2 * panel_w + GAP + 20 + BAR_WIDTH + 12 + label_w + MARGIN
    text_w = width - 2 * MARGIN
    column_w = (text_w - GAP) // 2

    banner_h = 64 if "disclaimer" in by_section else 0
    header_h = _line_height("title") + 20 + (banner_h + 24 if banner_h else 0) + _line_height("caption")
    left = by_section["patient"]
    right = by_section["analysis"]
    body_h = (
        24
        + _block_height(by_section["result"], text_w)
        + 24
        + max(_block_height(left, column_w), _block_height(right, column_w))
        + (24 + _block_height(by_section["warnings"], text_w) if "warnings" in by_section else 0)
        + 32
        + _block_height(by_section["footer"], text_w)
    )
    height = MARGIN + header_h + panel_h + body_h + MARGIN
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)

    y = MARGIN
    _draw_block(draw, by_section["title"], MARGIN, y, text_w)
    created = by_section["created"][0]
    font, _, colour = _style(created.style)
    draw.text((width - MARGIN, y + _line_height("title") // 2), created.text, font=font, fill=colour, anchor="rm")
    y += _line_height("title") + 20
    if banner_h:
        draw.rounded_rectangle([MARGIN, y, width - MARGIN, y + banner_h], radius=8, fill=_BANNER_FILL)
        banner = by_section["disclaimer"][0]
        font, bold, colour = _style(banner.style)
        text = drawable_text(banner.text, bold)
        draw.text((width // 2, y + banner_h // 2), text, font=font, fill=colour, anchor="mm")
        y += banner_h + 24

    x_panels = (MARGIN, MARGIN + panel_w + GAP)
    for x, caption in zip(x_panels, by_section["caption"]):
        _draw_block(draw, [caption], x, y, panel_w)
    y += _line_height("caption")

    original = np.repeat(gray[:, :, None], 3, axis=2)
    overlaid = blend(gray, heat, options.opacity, options.colormap)
    for x, picture in zip(x_panels, (original, overlaid)):
        draw.rectangle([x, y, x + panel_w - 1, y + panel_h - 1], fill=PANEL_BACKGROUND)
        canvas.paste(Image.fromarray(picture), (x + offset[0], y + offset[1]))
    if options.ctr is not None:
        _draw_calipers(draw, options.ctr, fit_w / xray.shape[1], (x_panels[0] + offset[0], y + offset[1]))

    bar_x = x_panels[1] + panel_w + 20
    canvas.paste(Image.fromarray(_colorbar(panel_h, options.colormap)), (bar_x, y))
    draw.rectangle([bar_x - 1, y - 1, bar_x + BAR_WIDTH, y + panel_h], outline=_MUTED)
    font, _, colour = _style(bar_labels[0].style)
    draw.text((bar_x + BAR_WIDTH + 12, y), bar_labels[0].text, font=font, fill=colour, anchor="lt")
    draw.text((bar_x + BAR_WIDTH + 12, y + panel_h), bar_labels[1].text, font=font, fill=colour, anchor="lb")
    y += panel_h + 24

    y = _draw_block(draw, by_section["result"], MARGIN, y, text_w) + 24
    bottom = _draw_block(draw, left, MARGIN, y, column_w)
    y = max(bottom, _draw_block(draw, right, MARGIN + column_w + GAP, y, column_w))
    if "warnings" in by_section:
        y = _draw_block(draw, by_section["warnings"], MARGIN, y + 24, text_w)
    draw.line([(MARGIN, y + 14), (width - MARGIN, y + 14)], fill=(60, 64, 72), width=1)
    _draw_block(draw, by_section["footer"], MARGIN, y + 32, text_w)

    image = np.asarray(canvas, dtype=np.uint8).copy()
    return Report(image, report_metadata(xray, prediction, options, lines), tuple(lines))


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


def unique_path(folder: str | Path, stem: str, suffix: str = ".png") -> Path:
    """``folder/stem.png``, or the first free ``stem_1.png``, ``stem_2.png``, ..."""
    if not stem or Path(stem).name != stem:
        raise ValueError(f"file stem must be a plain name, got {stem!r}")
    folder = Path(folder)
    candidate = folder / f"{stem}{suffix}"
    n = 0
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}_{n}{suffix}"
    return candidate


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
    path = Path(path)
    if image_rgb.dtype != np.uint8 or image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError(f"report image must be uint8 (H, W, 3), got {image_rgb.dtype} {image_rgb.shape}")
    if path.exists():
        raise FileExistsError(f"{path.name}: a file of that name already exists")
    info = PngImagePlugin.PngInfo()
    info.add_itxt(METADATA_KEY, json.dumps(metadata, ensure_ascii=False), zip=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            Image.fromarray(image_rgb, "RGB").save(handle, format="PNG", pnginfo=info, compress_level=6)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise FileExistsError(f"{path.name}: a file of that name already exists") from None
        except OSError:
            if path.exists():
                raise FileExistsError(f"{path.name}: a file of that name already exists") from None
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


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

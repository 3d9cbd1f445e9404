"""The trend plot of one patient as a PNG, drawn with Pillow (headless: no Qt, no matplotlib).

Date on x (spaced by real time), CTR (blue, with the 0.50 line) and P (orange, with the decision threshold)
on one 0-1 axis; every point is labelled with its view, and a mixed AP/PA trend carries a caution.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cardioview.comparison.change import iso_date
from cardioview.comparison.films import FilmRecord
from cardioview.comparison.trend import mixed_views

CTR_COLOUR, P_COLOUR, GRID = (31, 119, 180), (230, 120, 20), (225, 225, 225)
CTR_LIMIT = 0.5
SIZE = (900, 520)
MARGIN = (70, 60, 30, 90)  # left, top, right, bottom


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _day(film: FilmRecord) -> float:
    d = film.study_date
    try:
        day = date(int(d[:4]), int(d[4:6]), int(d[6:8])).toordinal()
    except (ValueError, IndexError):
        return 0.0
    t = film.when[1]
    return day + (int(t[:2] or 0) * 3600 + int(t[2:4] or 0) * 60) / 86400 if t.isdigit() else float(day)


def trend_image(films: Sequence[FilmRecord], title: str, threshold: float | None = None) -> np.ndarray:
    """uint8 (H, W, 3) plot of ``films`` (one patient, oldest first)."""
    w, h = SIZE
    left, top, right, bottom = MARGIN
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(16), _font(13)
    draw.text((left, 15), title, fill="black", font=_font(18))
    days = [_day(f) for f in films]
    lo, hi = min(days), max(days)
    span = hi - lo or 1.0
    plot_w, plot_h = w - left - right, h - top - bottom

    def xy(day: float, value: float) -> tuple[float, float]:
        x = left + (plot_w / 2 if hi == lo else (day - lo) / span * plot_w * 0.9 + plot_w * 0.05)
        return x, top + (1 - value) * plot_h

    for v in np.linspace(0, 1, 6):
        y = xy(lo, v)[1]
        draw.line([(left, y), (w - right, y)], fill=GRID)
        draw.text((left - 8, y), f"{v:.1f}", fill="black", font=small, anchor="rm")
    draw.rectangle([left, top, w - right, top + plot_h], outline="black")
    # CTR 0.50 labelled at the right end, the threshold (often near 0.5) at the left: never on top of each other
    dashed = [(CTR_LIMIT, CTR_COLOUR, "CTR 0.50", (w - right - 4, "rb"))]
    if threshold is not None:
        dashed.append((threshold, P_COLOUR, f"P threshold {threshold:.2f}", (left + 4, "lt")))
    for value, colour, label, (label_x, anchor) in dashed:
        y = xy(lo, value)[1]
        for x in range(left, w - right, 12):
            draw.line([(x, y), (min(x + 6, w - right), y)], fill=colour, width=1)
        draw.text((label_x, y + (3 if anchor == "lt" else -3)), label, fill=colour, font=small, anchor=anchor)
    for attr, colour, marker in (("ctr", CTR_COLOUR, "CTR"), ("probability", P_COLOUR, "P")):
        points = [(xy(d, getattr(f, attr)), f) for d, f in zip(days, films) if getattr(f, attr) is not None]
        if len(points) > 1:
            draw.line([p for p, _ in points], fill=colour, width=3)
        for (x, y), film in points:
            if marker == "CTR":
                draw.ellipse([x - 6, y - 6, x + 6, y + 6], fill=colour, outline="black")
            else:
                draw.rectangle([x - 5, y - 5, x + 5, y + 5], fill=colour, outline="black")
            draw.text((x, y - 9), film.view or "?", fill="black", font=small, anchor="mb")
    for d, film in zip(days, films):  # date ticks
        x = xy(d, 0)[0]
        draw.line([(x, top + plot_h), (x, top + plot_h + 5)], fill="black")
        draw.text((x, top + plot_h + 8), iso_date(film.study_date), fill="black", font=small, anchor="mt")
    legend_y = h - 40
    draw.ellipse([left, legend_y - 6, left + 12, legend_y + 6], fill=CTR_COLOUR)
    draw.text((left + 18, legend_y), "CTR", fill="black", font=font, anchor="lm")
    draw.rectangle([left + 80, legend_y - 5, left + 90, legend_y + 5], fill=P_COLOUR)
    draw.text((left + 98, legend_y), "P(cardiomegaly)", fill="black", font=font, anchor="lm")
    if mixed_views(films):
        draw.text(
            (left + 260, legend_y),
            "Caution: AP and PA mixed (AP magnifies the heart, CTR not comparable)",
            fill=(180, 0, 0),
            font=small,
            anchor="lm",
        )
    return np.asarray(image)

"""Fonts for report text.

DejaVu Sans ships inside the package (fonts/, Bitstream Vera licence) so a
report looks the same on every machine and can spell accented, Greek and
Cyrillic patient names; Pillow's own default font is the fallback. Characters
a font lacks are folded to a plain look-alike instead of drawing empty boxes.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FACES = {False: FONT_DIR / "DejaVuSans.ttf", True: FONT_DIR / "DejaVuSans-Bold.ttf"}
#: Stand-ins for punctuation that some fonts lack.
_PLAIN = {"\u2014": "-", "\u2013": "-", "\u2212": "-", "\u00b7": "-", "\u2265": ">=", "\u2264": "<=", "\u00d7": "x"}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=64)
def report_font(size: int, bold: bool = False) -> Font:
    """The report typeface at ``size`` pixels (bundled DejaVu Sans, else Pillow's default)."""
    try:
        return ImageFont.truetype(str(_FACES[bold]), size)
    except OSError:
        return ImageFont.load_default(size=size)


@lru_cache(maxsize=4096)
def _has_glyph(bold: bool, char: str) -> bool:
    font = report_font(16, bold)
    if not isinstance(font, ImageFont.FreeTypeFont):
        return char.isascii()
    # U+FFFF is a noncharacter: every font draws it with its "missing glyph".
    missing = font.getmask("\uffff")
    mask = font.getmask(char)
    return mask.size != missing.size or bytes(mask) != bytes(missing)


def drawable_text(text: str, bold: bool = False) -> str:
    """``text`` with characters the font cannot draw replaced by look-alikes or '?'."""
    out = []
    for char in text:
        if char.isspace() or _has_glyph(bold, char):
            out.append(" " if char.isspace() else char)
            continue
        plain = _PLAIN.get(char)
        if plain is None:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            plain = base if base and all(_has_glyph(bold, c) for c in base) else "?"
        out.append(plain)
    return "".join(out)

"""CSV cells that are safe to open in a spreadsheet and to encode as UTF-8.

- Formula injection (OWASP): a text cell starting with = + - @, a tab or a carriage return
  is prefixed with a single quote, so a file named ``=HYPERLINK(...).png`` stays text.
  Numbers (also negative ones) are left as they are, so numeric columns stay numeric.
- File names that are not valid UTF-8 reach Python as surrogate escapes; they are written
  as backslash escapes (``\\xff``) instead of failing the whole file.
"""

from __future__ import annotations

import csv
import io
import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def printable(text: str) -> str:
    """``text`` with surrogate escapes (undecodable file-name bytes) shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def safe_cell(value) -> str:
    """One cell: numbers as they are, text made printable and neutralised against formula injection."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = printable(str(value))
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_bytes(header, rows) -> bytes:
    """The whole CSV (header + rows, every cell through safe_cell) as UTF-8 bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buffer.getvalue().encode("utf-8")

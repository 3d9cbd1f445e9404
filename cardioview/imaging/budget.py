"""The pixel budget: refuse images whose header declares too many pixels.

Checked from the header, before any pixel is decoded, so a file that claims to
be 100,000 x 100,000 px fails with a one-line reason instead of exhausting memory.
"""

from __future__ import annotations

from pathlib import Path

from cardioview.errors import ImageLoadError, ImageTooLargeError
from cardioview.imaging.detail import library_detail

#: Default limit on declared pixels (rows x columns x frames). 100 MP covers the
#: largest flat-panel chest detectors (~43 x 43 cm at 0.1 mm = 18 MP) with a wide margin.
DEFAULT_PIXEL_BUDGET = 100_000_000


def check_pixel_budget(
    path: str | Path, rows: int, columns: int, frames: int = 1, budget: int = DEFAULT_PIXEL_BUDGET
) -> None:
    """Raise unless a declared image size is sane and within the budget.

    Args:
        path: the file, named in the error.
        rows, columns, frames: the size the header declares.
        budget: the most pixels (rows x columns x frames) allowed.

    Raises:
        ImageLoadError: a dimension is zero or negative.
        ImageTooLargeError: the declared pixels exceed ``budget``.
    """
    if rows <= 0 or columns <= 0 or frames <= 0:
        raise ImageLoadError(path, f"header declares an empty image ({columns}x{rows} px, {frames} frame(s))")
    total = rows * columns * frames
    if total > budget:
        frames_text = f" x {frames} frames" if frames > 1 else ""
        raise ImageTooLargeError(
            path,
            f"header declares {columns}x{rows} px{frames_text} ({total / 1e6:,.0f} MP), "
            f"over the {budget / 1e6:,.0f} MP pixel budget; refused before decoding",
        )


#: Most bytes one decoded frame may take (100 MP RGB at 8 bits is 300 MB;
#: 100 MP gray at 16 bits 200 MB), so the float copies stay within 2 GB.
DEFAULT_DECODED_BYTES = 400_000_000


def check_decoded_bytes(path: str | Path, ds, limit: int = DEFAULT_DECODED_BYTES) -> None:
    """Refuse a frame whose decoded size (Rows x Columns x Samples x Bits Allocated) is over ``limit``."""
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        bits = int(ds.get("BitsAllocated", 8) or 8)
    except (TypeError, ValueError) as exc:
        raise ImageLoadError(path, f"malformed image pixel module ({library_detail(exc)})") from exc
    if samples <= 0 or bits <= 0 or bits > 64:
        raise ImageLoadError(path, f"header declares {samples} sample(s) of {bits} bits: not an image")
    size = rows * columns * samples * ((bits + 7) // 8)
    if size > limit:
        raise ImageTooLargeError(
            path,
            f"one decoded frame would take {size / 1e6:,.0f} MB "
            f"(over the {limit / 1e6:,.0f} MB limit); refused before decoding",
        )

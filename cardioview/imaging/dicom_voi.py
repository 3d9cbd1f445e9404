"""From modality values to display values in [0, 1]: VOI LUT or window, padding, Presentation LUT Shape.

PS3.3 C.11 order, after the modality LUT: the VOI LUT Sequence (preferred, as pydicom's
apply_voi_lut), else the first Window Center/Width, else the image's own min-max; then the
inversion. Pixel Padding Value (C.7.5.1.1.2) marks pixels that are not part of the film:
they take no part in the min-max, nor in judging a window, and end as background.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_voi, apply_windowing

from cardioview.errors import UnsupportedImageError
from cardioview.imaging.detail import library_detail
from cardioview.imaging.dicom_values import integer, text, windows
from cardioview.imaging.grayscale import scale_to_unit

#: Share of the film's pixels at black or white above which a header window is ignored:
#: such a window leaves nothing to read (a real chest window saturates far less).
BLANKING_SHARE = 0.99


def padding_mask(path: Path, ds: Dataset, stored: np.ndarray) -> np.ndarray | None:
    """True where a stored value is Pixel Padding Value (or within its Pixel Padding Range Limit).

    Compared on stored values, before the modality LUT, as the standard defines them; the
    value is first cut to Bits Stored, as the decoder cuts the samples.

    Returns:
        A boolean mask shaped like ``stored``, or None when the header declares no padding.

    Raises:
        UnsupportedImageError: every pixel is padding.
    """
    try:
        first = ds.get("PixelPaddingValue")
        limit = ds.get("PixelPaddingRangeLimit")
    except Exception:  # a malformed value (wrong VR): no padding known
        return None
    if not isinstance(first, int):
        return None
    bits = integer(ds, "BitsStored", stored.dtype.itemsize * 8) or stored.dtype.itemsize * 8
    signed = integer(ds, "PixelRepresentation", 0) == 1
    ends = [_as_stored(first, bits, signed)]
    if isinstance(limit, int):
        ends.append(_as_stored(limit, bits, signed))
    mask = (stored >= min(ends)) & (stored <= max(ends))
    if mask.all():
        raise UnsupportedImageError(path, "every pixel is Pixel Padding Value: the film holds no image")
    return mask if mask.any() else None


def _as_stored(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if signed and value >= 1 << (bits - 1) else value


def presentation_inverse(ds: Dataset, photometric: str) -> bool:
    """True when Presentation LUT Shape INVERSE is the only statement that a MONOCHROME2 film is inverted.

    For MONOCHROME1 the shape repeats the inversion the photometric interpretation already
    states (PS3.3 C.8.11.6.1.2), so it is ignored there.
    """
    return photometric == "MONOCHROME2" and text(ds, "PresentationLUTShape").upper() == "INVERSE"


def to_display(
    ds: Dataset, modality: np.ndarray, low: float, high: float, padding: np.ndarray | None
) -> tuple[np.ndarray, str]:
    """Apply the header's VOI, unless it is unusable or blanks the film; ``low``/``high`` are the film's range.

    Returns:
        (pixels in [0, 1], a warning naming the VOI when it was ignored, else "").
    """
    pixels, note, what = _apply_voi(ds, modality, low, high)
    if what:
        share = blanked_share(pixels, padding)
        if share >= BLANKING_SHARE or float(pixels.min()) == float(pixels.max()):
            note = (
                f"DICOM {what} leaves {share:.1%} of the film black or white and was ignored; "
                "shown with the image's own range"
            )
            pixels = scale_to_unit(modality, low, high)
    return pixels, note


def blanked_share(pixels: np.ndarray, padding: np.ndarray | None) -> float:
    """Share of the film's (non-padding) pixels at 0 or 1."""
    saturated = (pixels <= 0.0) | (pixels >= 1.0)
    if padding is not None:
        return float(saturated[~padding].mean())
    return float(saturated.mean())


def _apply_voi(ds: Dataset, modality: np.ndarray, low: float, high: float) -> tuple[np.ndarray, str, str]:
    """VOI LUT Sequence, else the first window, else min-max; each output range mapped to [0, 1].

    Returns:
        (pixels, a warning when the header's VOI had to be ignored, the VOI applied in words or "").
    """
    if _voi_lut_item(ds) is not None:
        values = modality if np.issubdtype(modality.dtype, np.integer) else np.rint(modality).astype(np.int64)
        try:
            lut_low, lut_high = _voi_lut_range(ds)
            # Scaled by the LUT's own values rather than its nominal bit depth,
            # which some vendors misstate (e.g. 16 declared, 12 used).
            if lut_high > lut_low:
                return scale_to_unit(apply_voi(values, ds, 0), lut_low, lut_high), "", "VOI LUT"
            note = "DICOM VOI LUT is flat and was ignored; shown with the image's own range"
        except Exception as exc:  # 17-bit descriptor, table shorter than its descriptor, ...
            note = (
                f"DICOM VOI LUT Sequence unusable ({library_detail(exc)}) and ignored; shown with the image's own range"
            )
    elif "WindowCenter" in ds and "WindowWidth" in ds and (bad := _unusable_window(ds, low, high)):
        note = f"DICOM window ignored ({bad}); shown with the image's own range"
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        try:
            windowed = apply_windowing(modality, ds, 0)
            # The output range pydicom maps to (it depends on bits, sign and
            # rescale): probe it with -inf/+inf, which land on its two ends.
            out_low, out_high = apply_windowing(np.array([-np.inf, np.inf]), ds, 0)
            first = windows(ds)[0]
            return (
                scale_to_unit(windowed, out_low, out_high),
                "",
                f"window (Window Center {first.center:g} / Width {first.width:g})",
            )
        except (ValueError, TypeError, IndexError) as exc:
            note = f"DICOM window ignored ({library_detail(exc)}); shown with the image's own range"
    else:
        note = ""
    # No usable VOI: the image's own min-max. Not robust percentiles: they
    # would clip real anatomy and markers, and the viewer can re-window anyway.
    return scale_to_unit(modality, low, high), note, ""


def _unusable_window(ds: Dataset, low: float, high: float) -> str:
    """Why the first window cannot be used ('' when it can): non-finite, or it misses the pixels."""
    found = windows(ds)
    if not found:
        return "Window Center/Width unreadable"
    center, width = found[0].center, found[0].width
    if not (np.isfinite(center) and np.isfinite(width)) or width <= 0:
        return f"Window Center {center:g} / Width {width:g} is not a usable window"
    if center + width / 2 < low or center - width / 2 > high:
        return f"Window Center {center:g} / Width {width:g} lies outside the pixel range {low:g}..{high:g}"
    return ""


def _voi_lut_item(ds: Dataset) -> Dataset | None:
    sequence = ds.get("VOILUTSequence")
    if not sequence:
        return None
    item = sequence[0]
    return item if "LUTDescriptor" in item and "LUTData" in item else None


def _voi_lut_range(ds: Dataset) -> tuple[float, float]:
    entries, first = _voi_lut_item(ds).LUTDescriptor[:2]
    lut = apply_voi(np.arange(first, first + (entries or 65536), dtype=np.int64), ds, 0)
    return float(lut.min()), float(lut.max())

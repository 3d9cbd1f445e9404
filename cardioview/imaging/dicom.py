"""Load a DICOM radiograph into an XRay, by the book.

Order of operations (PS3.3 C.11, as in pydicom and highdicom): decode the
chosen frame (the first unless asked) -> modality LUT (Modality LUT Sequence or Rescale Slope/Intercept)
-> VOI LUT Sequence, else the first Window Center/Width, else the image's own
min-max -> MONOCHROME1 inversion last. Inverting any earlier runs the window
over the wrong end of the range and double-inverts some 16-bit CR images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi, apply_windowing
from pydicom.pixels.decoders.base import Decoder
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import UID

from cardioview.errors import ImageLoadError, MissingDecoderError, UnsupportedImageError
from cardioview.imaging.budget import DEFAULT_PIXEL_BUDGET, check_decoded_bytes, check_pixel_budget
from cardioview.imaging.compressed import decode_compressed
from cardioview.imaging.dicom_codecs import decoder_for, describe_syntax, missing_decoder_reason
from cardioview.imaging.dicom_header import (
    frame_count, integer, metadata_from_dataset, pixel_spacing, quiet_pydicom, read_dataset, text, transfer_syntax,
    windows,
)
from cardioview.imaging.grayscale import luma_in_chunks, require_contrast, scale_to_unit, spread_is_colourful
from cardioview.imaging.suitability import suitability_warnings
from cardioview.imaging.xray import XRay

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")


def load_dicom(path: str | Path, pixel_budget: int = DEFAULT_PIXEL_BUDGET, frame: int = 0) -> XRay:
    """Read a DICOM file into a display-ready XRay (bright = dense).

    The header is read first and the declared size checked against the pixel
    budget; pixel data is only read and decoded once that passes.

    Args:
        path: a DICOM Part 10 file, or a bare dataset without preamble.
        pixel_budget: most pixels (rows x columns x frames) the header may declare.
        frame: which frame of a multi-frame file (0-based; the XRay says which of how many).

    Returns:
        An XRay with pixels in [0, 1], ``modality_pixels`` (after the modality
        LUT), every header window, and ``invert_display`` set for MONOCHROME1.

    Raises:
        ImageLoadError: corrupt or truncated file (subclasses below for the rest).
        UnsupportedImageError: no pixel data, unsupported transfer syntax or
            photometric interpretation, or a constant image.
        MissingDecoderError: a compressed syntax whose plugin is not installed.
        ImageTooLargeError: the header declares more pixels than the budget.
    """
    path = Path(path)
    with quiet_pydicom():
        return _load_dicom(path, pixel_budget, frame)


def _load_dicom(path: Path, pixel_budget: int, index: int = 0) -> XRay:
    header = read_dataset(path, stop_before_pixels=True)
    rows, columns = integer(header, "Rows"), integer(header, "Columns")
    if rows is None or columns is None:
        raise UnsupportedImageError(path, f"DICOM has no image ({_sop_class_name(header)}): nothing to analyse")
    frames = frame_count(header)
    check_pixel_budget(path, rows, columns, frames, pixel_budget)
    if not 0 <= index < frames:
        raise ImageLoadError(path, f"frame {index + 1} asked for; the file has {frames} frame(s)")

    ds = read_dataset(path, stop_before_pixels=False, prechecked=True)
    if not any(keyword in ds for keyword in _PIXEL_KEYWORDS):
        last = header.get_item(list(header.keys())[-1]) if len(header) else None
        header_end = (getattr(last, "value_tell", None) or 0) + (getattr(last, "length", 0) or 0)
        if last is not None and path.stat().st_size > header_end + 8:  # bytes follow that did not parse
            raise ImageLoadError(path, f"truncated DICOM: the {columns}x{rows} image's pixel data is cut short")
        raise UnsupportedImageError(
            path, f"DICOM has no pixel data: the header describes a {columns}x{rows} image but no pixels follow")
    uid = transfer_syntax(ds)
    decoder = decoder_for(path, uid)
    check_decoded_bytes(path, ds)
    _check_native_length(path, ds, decoder)
    if decoder.is_native:
        frame, photometric = _decode_frame(path, ds, decoder, uid, index)
    else:
        frame, photometric = decode_compressed(path, ds, uid, pixel_budget, index)

    notes: list[str] = []
    if frames > 1:
        notes.append(f"multi-frame image: frame {index + 1} of {frames} shown and analysed")
    if photometric in _MONOCHROME:
        modality = _modality(path, frame, ds)
        low, high = require_contrast(path, modality)
        pixels, note = _apply_voi(ds, modality, low, high)
        if np.isfinite(pixels).all() and float(pixels.min()) == float(pixels.max()):
            note = "DICOM VOI blanks the image and was ignored; shown with the image's own range"
            pixels = scale_to_unit(modality, low, high)
        require_finite_image(path, pixels, "after the VOI window")
        # Presentation LUT Shape is deliberately not applied: for MONOCHROME1 it
        # repeats the inversion the photometric interpretation already states.
        if photometric == "MONOCHROME1":
            pixels = 1.0 - pixels
        modality_pixels = modality.astype(np.float32)
        header_windows = windows(ds)
    elif photometric == "PALETTE COLOR" or frame.ndim == 3:
        pixels, modality_pixels, note = _colour_to_gray(path, ds, frame, photometric)
        header_windows = ()
    else:
        raise UnsupportedImageError(path, f"photometric interpretation {photometric or '(none)'} is not supported")
    if note:
        notes.append(note)

    metadata = metadata_from_dataset(ds)
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    return XRay(
        pixels=pixels,
        source=path,
        bits_stored=integer(ds, "BitsStored", 8) or 8,
        pixel_spacing=pixel_spacing(ds),
        metadata=metadata,
        warnings=suitability_warnings(metadata, pixels.shape) + tuple(notes),
        modality_pixels=modality_pixels,
        windows=header_windows,
        invert_display=photometric == "MONOCHROME1",
        frame=index,
        frames=frames,
    )


def _modality(path: Path, frame: np.ndarray, ds: Dataset) -> np.ndarray:
    """Modality LUT, refused with the attribute at fault when unusable or non-finite."""
    try:
        modality = apply_modality_lut(frame, ds)
    except Exception as exc:  # multi-valued slope, a 65535-bit LUT descriptor, ...
        where = "Modality LUT Sequence" if "ModalityLUTSequence" in ds else "Rescale Slope/Intercept"
        raise ImageLoadError(path, f"unusable {where} ({_failure_detail(exc)})") from exc
    if modality.dtype.kind == "f" and not np.isfinite(modality).all():
        raise ImageLoadError(path, "Rescale Slope/Intercept (or the float pixels) give non-finite values "
                                   f"(slope {text(ds, 'RescaleSlope') or '1'}, intercept "
                                   f"{text(ds, 'RescaleIntercept') or '0'}): refusing a wrong result")
    return modality


def require_finite_image(path: Path, pixels: np.ndarray, stage: str) -> None:
    """Refuse NaN/inf or blank (constant) pixels: they would give a normal-looking wrong result."""
    if not np.isfinite(pixels).all():
        raise ImageLoadError(path, f"the image has non-finite pixel values {stage}")
    if float(pixels.min()) == float(pixels.max()):
        raise UnsupportedImageError(path, f"the image is blank {stage}: nothing to analyse")


def _sop_class_name(ds: Dataset) -> str:
    uid = text(ds, "SOPClassUID") or text(getattr(ds, "file_meta", Dataset()), "MediaStorageSOPClassUID")
    return UID(uid).name if uid else "unknown SOP class"


def _check_native_length(path: Path, ds: Dataset, decoder: Decoder) -> None:
    if "PixelData" in ds and not ds.PixelData:
        raise ImageLoadError(path, "Pixel Data is empty: the header describes an image but holds no pixels")
    if not decoder.is_native or "PixelData" not in ds:
        return
    _require_pixel_module(path, ds)
    try:
        expected = int(get_expected_length(ds, unit="bytes"))
    except Exception as exc:  # e.g. a value pydicom could not convert
        raise ImageLoadError(path, f"the image pixel module is malformed ({_failure_detail(exc)})") from exc
    actual = len(ds.PixelData or b"")
    if actual == 0:
        raise ImageLoadError(path, "Pixel Data is empty: the header describes an image but holds no pixels")
    if actual < expected:
        raise ImageLoadError(path, f"truncated DICOM: pixel data has {actual:,} of {expected:,} bytes")


_PIXEL_MODULE = ("Rows", "Columns", "BitsAllocated", "SamplesPerPixel", "PhotometricInterpretation")


def _require_pixel_module(path: Path, ds: Dataset) -> None:
    """Name the first missing or non-numeric attribute the pixel size depends on."""
    for keyword in _PIXEL_MODULE:
        value = ds.get(keyword)
        if value is None or value == "":
            raise ImageLoadError(path, f"{keyword} is missing: the pixel data cannot be interpreted")
        if keyword != "PhotometricInterpretation" and not isinstance(value, int):
            raise ImageLoadError(path, f"{keyword} is not a number ({str(value)[:40]!r}): "
                                       "the header is corrupt (wrong VR?)")
    if "NumberOfFrames" in ds and integer(ds, "NumberOfFrames") is None:
        raise ImageLoadError(path, f"Number of Frames is not a number ({text(ds, 'NumberOfFrames')[:40]!r})")
    if ds.PhotometricInterpretation in _MONOCHROME and ds.SamplesPerPixel != 1:
        raise ImageLoadError(path, f"{ds.PhotometricInterpretation} data with Samples per Pixel "
                                   f"{ds.SamplesPerPixel}: the header contradicts itself")


def _decode_frame(path: Path, ds: Dataset, decoder: Decoder, uid: UID, index: int = 0) -> tuple[np.ndarray, str]:
    """Decode frame ``index``; YBR_FULL(_422) stays YBR (``as_rgb=False``), converted per chunk later."""
    try:
        frame, meta = decoder.as_array(ds, index=index, as_rgb=False)
    except Exception as exc:
        detail = _failure_detail(exc)
        # Every installed plugin refused a variant (e.g. 12-bit JPEG Extended,
        # which only the GPL pylibjpeg-libjpeg decodes): a plugin gap, not corruption.
        if decoder.missing_dependencies and "not support" in str(exc).lower():
            raise MissingDecoderError(path, missing_decoder_reason(uid, detail)) from exc
        raise ImageLoadError(path, f"could not decode {describe_syntax(uid)} pixel data: {detail}") from exc
    photometric = str(meta.get("photometric_interpretation") or text(ds, "PhotometricInterpretation")).upper()
    return frame, photometric


def _failure_detail(exc: BaseException) -> str:
    # pydicom lists one failure per plugin after a header line: keep the first.
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return (lines[1] if len(lines) > 1 and lines[0].endswith(":") else lines[0])[:200]


def _apply_voi(ds: Dataset, modality: np.ndarray, low: float, high: float) -> tuple[np.ndarray, str]:
    """VOI LUT Sequence (preferred, as pydicom's apply_voi_lut), else the first
    window, else min-max; each output range mapped to [0, 1].

    Returns:
        (pixels in [0, 1], a warning when the header's VOI had to be ignored).
    """
    if _voi_lut_item(ds) is not None:
        values = modality if np.issubdtype(modality.dtype, np.integer) else np.rint(modality).astype(np.int64)
        try:
            lut_low, lut_high = _voi_lut_range(ds)
            # Scaled by the LUT's own values rather than its nominal bit depth,
            # which some vendors misstate (e.g. 16 declared, 12 used).
            if lut_high > lut_low:
                return scale_to_unit(apply_voi(values, ds, 0), lut_low, lut_high), ""
            note = "DICOM VOI LUT is flat and was ignored; shown with the image's own range"
        except Exception as exc:  # 17-bit descriptor, table shorter than its descriptor, ...
            note = f"DICOM VOI LUT Sequence unusable ({_failure_detail(exc)}) and ignored; shown with the image's own range"
    elif "WindowCenter" in ds and "WindowWidth" in ds and (bad := _unusable_window(ds, low, high)):
        note = f"DICOM window ignored ({bad}); shown with the image's own range"
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        try:
            windowed = apply_windowing(modality, ds, 0)
            # The output range pydicom maps to (it depends on bits, sign and
            # rescale): probe it with -inf/+inf, which land on its two ends.
            out_low, out_high = apply_windowing(np.array([-np.inf, np.inf]), ds, 0)
            return scale_to_unit(windowed, out_low, out_high), ""
        except (ValueError, TypeError, IndexError) as exc:
            note = f"DICOM window ignored ({_failure_detail(exc)}); shown with the image's own range"
    else:
        note = ""
    # No usable VOI: the image's own min-max. Not robust percentiles: they
    # would clip real anatomy and markers, and the viewer can re-window anyway.
    return scale_to_unit(modality, low, high), note


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


def _colour_to_gray(path: Path, ds: Dataset, frame: np.ndarray, photometric: str
                    ) -> tuple[np.ndarray, np.ndarray, str]:
    """RGB (or palette) -> luma; returns (pixels in [0, 1], luma, warning)."""
    if photometric == "PALETTE COLOR":
        try:
            rgb = apply_color_lut(frame, ds)
        except Exception as exc:  # no or malformed Palette Color Lookup Table
            raise ImageLoadError(path, "PALETTE COLOR image with an unusable Palette Color Lookup Table "
                                       f"({_failure_detail(exc)})") from exc
        full_scale = float(np.iinfo(rgb.dtype).max) if np.issubdtype(rgb.dtype, np.integer) else 1.0
    else:
        rgb = frame
        full_scale = float(2 ** (integer(ds, "BitsStored", 8) or 8) - 1)
    gray, spread = luma_in_chunks(rgb, photometric=photometric)
    require_contrast(path, gray)
    note = f"colour image ({photometric}) converted to gray" if spread_is_colourful(spread, full_scale) else ""
    return scale_to_unit(gray, 0.0, full_scale), gray, note

"""Load a DICOM radiograph into an XRay, by the book.

Order of operations (PS3.3 C.11, as in pydicom and highdicom): decode the
chosen frame (the first unless asked) -> modality LUT (Modality LUT Sequence or Rescale Slope/Intercept)
-> VOI LUT Sequence, else the first Window Center/Width, else the image's own
min-max (dicom_voi: Pixel Padding Value left out; a window that blanks the film
ignored) -> MONOCHROME1 inversion last (or Presentation LUT Shape INVERSE on a
MONOCHROME2 film). Inverting any earlier runs the window over the wrong end of
the range and double-inverts some 16-bit CR images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut
from pydicom.pixels.decoders.base import Decoder
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import UID

from cardioview.errors import ImageLoadError, MissingDecoderError, UnsupportedImageError
from cardioview.imaging.budget import DEFAULT_PIXEL_BUDGET, check_decoded_bytes, check_pixel_budget
from cardioview.imaging.compressed import decode_compressed
from cardioview.imaging.detail import library_detail
from cardioview.imaging.dicom_codecs import decoder_for, describe_syntax, missing_decoder_reason
from cardioview.imaging.dicom_header import quiet_pydicom, read_dataset
from cardioview.imaging.dicom_values import (
    frame_count,
    integer,
    metadata_from_dataset,
    pixel_spacing,
    text,
    transfer_syntax,
    windows,
)
from cardioview.imaging.dicom_voi import padding_mask, presentation_inverse, to_display
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

    ds = read_dataset(
        path,
        stop_before_pixels=False,
        prechecked=True,
        pixel_bytes=_pixel_bytes_allowed(header, rows * columns * frames),
    )
    if not any(keyword in ds for keyword in _PIXEL_KEYWORDS):
        last = header.get_item(list(header.keys())[-1]) if len(header) else None
        header_end = (getattr(last, "value_tell", None) or 0) + (getattr(last, "length", 0) or 0)
        if last is not None and path.stat().st_size > header_end + 8:  # bytes follow that did not parse
            raise ImageLoadError(path, f"truncated DICOM: the {columns}x{rows} image's pixel data is cut short")
        raise UnsupportedImageError(
            path, f"DICOM has no pixel data: the header describes a {columns}x{rows} image but no pixels follow"
        )
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
    inverted = photometric == "MONOCHROME1"
    if photometric in _MONOCHROME:
        modality = _modality(path, frame, ds)
        padding = padding_mask(path, ds, frame)
        low, high = require_contrast(path, modality if padding is None else modality[~padding])
        pixels, note = to_display(ds, modality, low, high, padding)
        require_finite_image(path, pixels, "after the VOI window")
        if presentation_inverse(ds, photometric):
            inverted = True
            notes.append("Presentation LUT Shape INVERSE on a MONOCHROME2 film: shown inverted, as the header states")
        if inverted:
            pixels = 1.0 - pixels
        modality_pixels = modality.astype(np.float32)
        if padding is not None:  # padding is background: black as shown, and where re-windowing shows black
            pixels[padding] = 0.0
            modality_pixels[padding] = high if inverted else low
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
        invert_display=inverted,
        frame=index,
        frames=frames,
    )


def _pixel_bytes_allowed(header: Dataset, pixels: int) -> int:
    """Most bytes Pixel Data may take: twice the native size (compressed data can exceed it a little) + 1 MB."""
    samples = max(integer(header, "SamplesPerPixel", 1) or 1, 1)
    bits = min(max(integer(header, "BitsAllocated", 16) or 16, 8), 64)
    return 2 * pixels * min(samples, 4) * ((bits + 7) // 8) + (1 << 20)


def _modality(path: Path, frame: np.ndarray, ds: Dataset) -> np.ndarray:
    """Modality LUT, refused with the attribute at fault when unusable or non-finite."""
    try:
        modality = apply_modality_lut(frame, ds)
    except Exception as exc:  # multi-valued slope, a 65535-bit LUT descriptor, ...
        where = "Modality LUT Sequence" if "ModalityLUTSequence" in ds else "Rescale Slope/Intercept"
        raise ImageLoadError(path, f"unusable {where} ({library_detail(exc)})") from exc
    if modality.dtype.kind == "f" and not np.isfinite(modality).all():
        raise ImageLoadError(
            path,
            "Rescale Slope/Intercept (or the float pixels) give non-finite values "
            f"(slope {text(ds, 'RescaleSlope') or '1'}, intercept "
            f"{text(ds, 'RescaleIntercept') or '0'}): refusing a wrong result",
        )
    return modality


def require_finite_image(path: Path, pixels: np.ndarray, stage: str) -> None:
    """Refuse NaN/inf or blank (constant) pixels: they would give a normal-looking wrong result."""
    low, high = float(pixels.min()), float(pixels.max())  # NaN and infinities show in min or max: no mask needed
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ImageLoadError(path, f"the image has non-finite pixel values {stage}")
    if low == high:
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
        raise ImageLoadError(path, f"the image pixel module is malformed ({library_detail(exc)})") from exc
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
            raise ImageLoadError(path, f"{keyword} is not a number: the header is corrupt (wrong VR?)")
    if "NumberOfFrames" in ds and integer(ds, "NumberOfFrames") is None:
        raise ImageLoadError(path, "Number of Frames is not a number: the header is corrupt")
    if ds.PhotometricInterpretation in _MONOCHROME and ds.SamplesPerPixel != 1:
        raise ImageLoadError(
            path,
            f"{ds.PhotometricInterpretation} data with Samples per Pixel "
            f"{ds.SamplesPerPixel}: the header contradicts itself",
        )


def _decode_frame(path: Path, ds: Dataset, decoder: Decoder, uid: UID, index: int = 0) -> tuple[np.ndarray, str]:
    """Decode frame ``index``; YBR_FULL(_422) stays YBR (``as_rgb=False``), converted per chunk later."""
    try:
        frame, meta = decoder.as_array(ds, index=index, as_rgb=False)
    except Exception as exc:
        detail = library_detail(exc)
        # Every installed plugin refused a variant (e.g. 12-bit JPEG Extended,
        # which only the GPL pylibjpeg-libjpeg decodes): a plugin gap, not corruption.
        if decoder.missing_dependencies and "not support" in str(exc).lower():
            raise MissingDecoderError(path, missing_decoder_reason(uid, detail)) from exc
        raise ImageLoadError(path, f"could not decode {describe_syntax(uid)} pixel data: {detail}") from exc
    photometric = str(meta.get("photometric_interpretation") or text(ds, "PhotometricInterpretation")).upper()
    return frame, photometric


def _colour_to_gray(path: Path, ds: Dataset, frame: np.ndarray, photometric: str) -> tuple[np.ndarray, np.ndarray, str]:
    """RGB (or palette) -> luma; returns (pixels in [0, 1], luma, warning)."""
    if photometric == "PALETTE COLOR":
        try:
            rgb = apply_color_lut(frame, ds)
        except Exception as exc:  # no or malformed Palette Color Lookup Table
            raise ImageLoadError(
                path, f"PALETTE COLOR image with an unusable Palette Color Lookup Table ({library_detail(exc)})"
            ) from exc
        full_scale = float(np.iinfo(rgb.dtype).max) if np.issubdtype(rgb.dtype, np.integer) else 1.0
    else:
        rgb = frame
        full_scale = float(2 ** (integer(ds, "BitsStored", 8) or 8) - 1)
    gray, spread = luma_in_chunks(rgb, photometric=photometric)
    require_contrast(path, gray)
    note = f"colour image ({photometric}) converted to gray" if spread_is_colourful(spread, full_scale) else ""
    return scale_to_unit(gray, 0.0, full_scale), gray, note

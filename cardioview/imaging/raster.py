"""Load PNG, JPEG, TIFF and BMP files into an XRay.

The declared size is read from the header first (raster_header: PNG IHDR and
eXIf parsed there; others: Pillow's lazy open, which reads no pixels) and checked
against the pixel budget; only then does Pillow decode the pixels. The EXIF
orientation is applied exactly once (by Pillow for TIFF, here for JPEG and PNG).

Scaling to [0, 1]: 8-bit samples / 255. 16-bit samples / (2**b - 1), where b
is the smallest bit depth (>= 8) that holds the image's maximum: the PNG spec
says 16-bit samples span 0..65535, but medical exporters commonly write 12- or
14-bit values unscaled, which would otherwise display nearly black. A true
16-bit image that uses its top bit is unaffected. Pillow reads 16-bit colour
at 8 bits per channel (the XRay warns of it). RGBA is composited on black
(transparent = no attenuation), then converted to luma; palette images are
expanded to their colours first.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cardioview.errors import ImageLoadError, ImageTooLargeError
from cardioview.imaging.budget import DEFAULT_PIXEL_BUDGET, check_pixel_budget
from cardioview.imaging.detail import library_detail
from cardioview.imaging.grayscale import (
    luma_in_chunks,
    require_contrast,
    scale_to_unit,
    spread_is_colourful,
)
from cardioview.imaging.raster_header import (
    EXIF_ORIENTATION,
    MALFORMED_TAG_ERRORS,
    declared_size,
    malformed_tags,
    valid_orientation,
)
from cardioview.imaging.sniff import BMP, PNG, RASTER_FORMATS, RASTER_SUFFIXES, TIFF, describe, read_head, sniff
from cardioview.imaging.suitability import suitability_warnings
from cardioview.imaging.xray import XRay, XRayMetadata

_TIFF_BITS_PER_SAMPLE = 258
# Pillow's decoders fail with any of these on corrupt or truncated data.
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error)


def load_raster(path: str | Path, pixel_budget: int = DEFAULT_PIXEL_BUDGET) -> XRay:
    """Read a PNG/JPEG/TIFF/BMP file (8/16-bit, gray, RGB or RGBA) into an XRay.

    Args:
        path: the image file; its content decides the format, not its extension.
        pixel_budget: most pixels the header may declare.

    Returns:
        An XRay with float32 pixels in [0, 1] (bright = dense, as stored) and
        no DICOM metadata.

    Raises:
        ImageLoadError: not a valid image of a supported format, or corrupt.
        ImageTooLargeError: the header declares more pixels than the budget.
        UnsupportedImageError: a constant image.
    """
    path = Path(path)
    head = read_head(path)
    fmt = sniff(head)
    if fmt not in RASTER_FORMATS:
        claimed = RASTER_SUFFIXES.get(path.suffix.lower(), "raster")
        raise ImageLoadError(path, f"not a valid {claimed.upper()} image: {describe(head)}")
    width, height, _ = declared_size(path, fmt)
    check_pixel_budget(path, height, width, 1, pixel_budget)

    image, pending, notes = _decode(path, fmt)
    image = _apply_orientation(image, pending)
    pixels, bits, colour_notes = _to_unit_gray(path, image)
    notes += colour_notes

    metadata = XRayMetadata()
    return XRay(
        pixels=pixels,
        source=path,
        bits_stored=bits,
        metadata=metadata,
        warnings=suitability_warnings(metadata, pixels.shape) + notes,
    )


def _decode(path: Path, fmt: str) -> tuple[np.ndarray, int, tuple[str, ...]]:
    """Pixels as Pillow decodes them: gray (H, W), RGB (H, W, 3) or RGBA (H, W, 4); the EXIF
    orientation still to apply (1 when Pillow applied it, as for TIFF); decoder notes.

    Opened from a file object, not a name: Pillow 13 memory-maps an uncompressed TIFF opened
    by name with its rotated size, which scrambles a film stored with Orientation 5-8.
    """
    try:
        with warnings.catch_warnings():
            # The pixel budget was checked already; Pillow's own bomb limit stays as a backstop.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with open(path, "rb") as f, Image.open(f, formats=[fmt.upper()]) as picture:
                picture.load()
                notes = ("16-bit colour read at 8 bits per channel",) if _wide_colour(path, fmt, picture) else ()
                pending = valid_orientation(picture.getexif().get(EXIF_ORIENTATION, 1)) if fmt != BMP else 1
                return _samples(picture), pending, notes
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(path, f"image too large to decode safely ({exc})") from exc
    except MALFORMED_TAG_ERRORS as exc:
        raise ImageLoadError(path, malformed_tags(fmt, exc)) from exc
    except _DECODE_ERRORS as exc:
        detail = library_detail(exc)
        raise ImageLoadError(path, f"{fmt.upper()} data is corrupt or truncated: {detail}") from exc


def _samples(picture: Image.Image) -> np.ndarray:
    mode = picture.mode
    if mode.startswith("I;16"):
        return np.array(picture).astype(np.uint16)  # also normalises big-endian I;16B
    if mode in ("L", "I", "F", "RGB", "RGBA"):
        return np.array(picture)
    if mode == "1":
        return np.array(picture.convert("L"))
    if "A" in mode or "a" in mode or (mode == "P" and "transparency" in picture.info):
        return np.array(picture.convert("RGBA"))
    return np.array(picture.convert("RGB"))  # palette, CMYK, YCbCr, ...


def _wide_colour(path: Path, fmt: str, picture: Image.Image) -> bool:
    """True when a colour image stores more than 8 bits per channel (Pillow keeps the top 8)."""
    if picture.mode not in ("RGB", "RGBA"):
        return False
    if fmt == PNG:
        with open(path, "rb") as f:
            ihdr = f.read(26)
        return len(ihdr) == 26 and ihdr[24] == 16
    if fmt == TIFF:
        bits = picture.tag_v2.get(_TIFF_BITS_PER_SAMPLE, (8,))
        return max(bits if isinstance(bits, tuple) else (bits,)) > 8
    return False


def _apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation the decoder left to us, as Pillow's exif_transpose."""
    if orientation == 2:
        return image[:, ::-1]
    if orientation == 3:
        return image[::-1, ::-1]
    if orientation == 4:
        return image[::-1]
    if orientation == 5:
        return image.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(image, -1)
    if orientation == 7:
        return image[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(image, 1)
    return image


def _to_unit_gray(path: Path, image: np.ndarray) -> tuple[np.ndarray, int, tuple[str, ...]]:
    """Samples (gray, RGB or RGBA) -> float32 gray in [0, 1], bit depth, warnings."""
    bits, full_scale = _depth(image)
    notes: tuple[str, ...] = ()
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        # Alpha always spans its type's full range, whatever the colour depth.
        alpha_max = np.iinfo(image.dtype).max if np.issubdtype(image.dtype, np.integer) else 1.0
        gray, spread = luma_in_chunks(image, alpha_max=alpha_max)
        if spread_is_colourful(spread, full_scale):
            notes = ("colour image converted to gray",)
    elif image.dtype in (np.uint8, np.uint16):
        gray = image  # exact in float32: no float copy to check, scale_to_unit makes the one float image
    else:
        gray = image.astype(np.float32)
    if gray.dtype.kind == "f" and not np.isfinite(gray).all():  # a float TIFF with NaN/inf: never a silent wrong result
        raise ImageLoadError(
            path,
            f"the image has {int((~np.isfinite(gray)).sum()):,} non-finite (NaN or infinite) pixel value(s): refused",
        )
    low, high = require_contrast(path, gray)
    if full_scale is None:  # float or wide-integer TIFF: no nominal range
        return scale_to_unit(gray, low, high), bits, notes
    return scale_to_unit(gray, 0.0, full_scale), bits, notes


def _depth(image: np.ndarray) -> tuple[int, float | None]:
    """(bits, full-scale value) for the sample type; see the module docstring for 16-bit."""
    if image.dtype == np.uint8:
        return 8, 255.0
    if image.dtype == np.uint16:
        top = int(image[..., :3].max()) if image.ndim == 3 else int(image.max())
        bits = max(top.bit_length(), 8)
        return bits, float(2**bits - 1)
    if np.issubdtype(image.dtype, np.floating) and float(image.min()) >= 0.0 and float(image.max()) <= 1.0:
        return 32, 1.0
    return image.dtype.itemsize * 8, None

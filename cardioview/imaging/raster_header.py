"""What a PNG, JPEG, TIFF or BMP header declares, read without decoding a pixel.

``declared_size`` gives the size as the film is meant to be seen (EXIF orientation
applied) and refuses a JPEG whose data is far too small for the size its frame header
claims (a 16x16 image with its SOF edited to 65500x1024 would otherwise be decoded
as 67 MP of blank and analysed).

Who applies the EXIF orientation, as checked on Pillow 13 (tests/imaging/test_orientation.py
pins it, so an upgrade that changes it fails there):

- TIFF: Pillow applies the Orientation tag while decoding (``TiffImagePlugin.load_end``) and
  its lazy ``size`` is already the rotated one; the tag is gone from the decoded image.
- JPEG (APP1 Exif) and PNG (eXIf chunk): Pillow decodes the pixels as stored and keeps the tag.

The loader therefore applies only the orientation the decoded picture still declares.
"""

from __future__ import annotations

import math
import struct
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from cardioview.errors import ImageLoadError, ImageTooLargeError
from cardioview.imaging.codestream import JPEG as JPEG_FAMILY
from cardioview.imaging.codestream import FrameHeader, read_frame_header
from cardioview.imaging.detail import library_detail
from cardioview.imaging.sniff import BMP, JPEG, PNG, PNG_SIGNATURE, TIFF

EXIF_ORIENTATION = 0x0112
#: Pillow's TIFF decoder applies the Orientation tag itself (see the module docstring).
PILLOW_ORIENTS = frozenset({TIFF})
# Pillow's TIFF/EXIF readers trust tag types: a StripOffsets stored as text or a fraction surfaces as these.
MALFORMED_TAG_ERRORS = (TypeError, KeyError, IndexError)
# PNG chunks walked (and bytes read) looking for eXIf before the image data: real files hold a handful.
_PNG_CHUNKS, _PNG_EXIF_BYTES = 256, 1 << 20
# Bytes searched for a JPEG frame header (APPn segments, thumbnails included, come first).
_JPEG_HEAD = 1 << 20


def malformed_tags(fmt: str, exc: Exception) -> str:
    detail = library_detail(exc, 160)
    return (
        f"{fmt.upper()} header is malformed: a tag (such as StripOffsets) has a type or value the format "
        f"does not allow ({detail})"
    )


def declared_size(path: Path, fmt: str) -> tuple[int, int, int]:
    """(width, height) as displayed, and the EXIF orientation (1-8), without decoding pixels.

    Raises:
        ImageLoadError: not a valid image of ``fmt``, or a JPEG whose data cannot hold its declared size.
        ImageTooLargeError: Pillow's own bomb limit refused the header.
    """
    if fmt == PNG:
        width, height, orientation = _png_header(path)
    else:
        width, height, orientation = _pillow_header(path, fmt)
        frame = _jpeg_frame(path) if fmt == JPEG else None
        if frame is not None:
            check_jpeg_data(path, frame, path.stat().st_size, "file")
    if orientation in (5, 6, 7, 8) and fmt not in PILLOW_ORIENTS:  # a quarter turn swaps the sides
        width, height = height, width
    return width, height, orientation


def _pillow_header(path: Path, fmt: str) -> tuple[int, int, int]:
    try:
        with warnings.catch_warnings():
            # Our own budget decides; Pillow's bomb warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with open(path, "rb") as f, Image.open(f, formats=[fmt.upper()]) as image:
                width, height = image.size
                orientation = image.getexif().get(EXIF_ORIENTATION, 1) if fmt != BMP else 1
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(path, f"header declares a gigantic image ({exc}); refused before decoding") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(path, f"not a valid {fmt.upper()} image: {library_detail(exc)}") from exc
    except MALFORMED_TAG_ERRORS as exc:
        raise ImageLoadError(path, malformed_tags(fmt, exc)) from exc
    return width, height, valid_orientation(orientation)


def valid_orientation(value: object) -> int:
    """An EXIF Orientation value as 1-8; anything else (absent, malformed) is 1, as stored."""
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _png_header(path: Path) -> tuple[int, int, int]:
    """IHDR's size and the orientation of an eXIf chunk placed before the image data (PNG 1.5 / 3rd edition)."""
    with open(path, "rb") as f:
        head = f.read(33)
        if len(head) < 24 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
            raise ImageLoadError(path, "not a valid PNG image: missing IHDR header")
        width, height = struct.unpack(">II", head[16:24])
        f.seek(33)  # signature (8) + IHDR (4 length + 4 type + 13 data + 4 CRC)
        for _ in range(_PNG_CHUNKS):
            chunk = f.read(8)
            if len(chunk) < 8:
                break
            length, kind = struct.unpack(">I4s", chunk)
            if kind in (b"IDAT", b"IEND"):
                break
            if kind == b"eXIf" and length <= _PNG_EXIF_BYTES:
                return width, height, _exif_orientation(f.read(length))
            f.seek(length + 4, 1)  # data + CRC
    return width, height, 1


def _exif_orientation(data: bytes) -> int:
    exif = Image.Exif()
    try:
        exif.load(data)
        return valid_orientation(exif.get(EXIF_ORIENTATION, 1))
    except Exception:  # a malformed eXIf: the pixels are shown as stored
        return 1


def _jpeg_frame(path: Path) -> FrameHeader | None:
    """The JPEG's SOF, or None when it is not within the first megabyte (Pillow, which found it, then decides)."""
    with open(path, "rb") as f:
        head = f.read(_JPEG_HEAD)
    try:
        return read_frame_header(path, JPEG_FAMILY, head)
    except ImageLoadError:
        return None


def check_jpeg_data(path: Path, frame: FrameHeader, data_bytes: int, where: str) -> None:
    """Refuse a JPEG whose coded data is too small for the frame size its SOF declares.

    Huffman coding spends at least one bit on every 8x8 block of a DCT frame (the DC
    difference; progressive AC scans can skip blocks, DC scans cannot) and on every sample
    of a lossless frame; arithmetic coding can go lower, so it is allowed 64 times less.

    Args:
        frame: the parsed SOF.
        data_bytes: size of what holds the codestream (the file, or the DICOM Pixel Data).
        where: "file" or "pixel data", for the message.
    """
    if not frame.rows or not frame.columns:  # height given later (DNL): nothing to compare
        return
    units = frame.rows * frame.columns if frame.lossless else math.ceil(frame.rows / 8) * math.ceil(frame.columns / 8)
    floor_bytes = units // (8 * (64 if frame.arithmetic else 1))
    if data_bytes < floor_bytes:
        raise ImageLoadError(
            path,
            f"the JPEG frame header declares {frame.columns}x{frame.rows} px but the {where} "
            f"holds {data_bytes:,} bytes, fewer than the {floor_bytes:,} an image that size "
            "needs at the very least: a forged header; refused before decoding",
        )

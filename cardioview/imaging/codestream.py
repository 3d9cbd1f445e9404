"""Read a compressed frame's own header and check it against the DICOM header.

Run before any native decoder sees the data: python-gdcm aborts the process
and other decoders allocate what the codestream (not the DICOM header) says,
so a file whose JPEG 2000 SIZ, JPEG SOF, JPEG-LS SOF55 or RLE header
disagrees with Rows/Columns/Samples per Pixel/Bits Stored, or whose data is
not the codec its transfer syntax names, is refused here with a specific reason.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragments

from cardioview.errors import ImageLoadError, UnsupportedImageError
from cardioview.imaging.detail import library_detail

JPEG = "JPEG"
JPEG_LS = "JPEG-LS"
JPEG_2000 = "JPEG 2000"
RLE = "RLE"

_FAMILIES = {
    "1.2.840.10008.1.2.4.50": JPEG,
    "1.2.840.10008.1.2.4.51": JPEG,
    "1.2.840.10008.1.2.4.57": JPEG,
    "1.2.840.10008.1.2.4.70": JPEG,
    "1.2.840.10008.1.2.4.80": JPEG_LS,
    "1.2.840.10008.1.2.4.81": JPEG_LS,
    "1.2.840.10008.1.2.4.90": JPEG_2000,
    "1.2.840.10008.1.2.4.91": JPEG_2000,
    "1.2.840.10008.1.2.4.201": JPEG_2000,
    "1.2.840.10008.1.2.4.202": JPEG_2000,
    "1.2.840.10008.1.2.4.203": JPEG_2000,
    "1.2.840.10008.1.2.5": RLE,
}
# JPEG start-of-frame markers (not DHT C4, JPG C8, DAC CC).
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_LS_SOF = 0xF7
_J2K_START = b"\xff\x4f\xff\x51"
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  "
# Bytes searched for a JPEG frame header (tables and APPn segments come first).
_SEARCH = 1 << 20


@dataclass(frozen=True)
class FrameHeader:
    """What a codestream says about its own frame."""

    family: str
    rows: int  # 0 when a JPEG defines it later (DNL marker)
    columns: int
    components: int
    precision: int  # bits per sample; 0 when the format does not say (RLE)
    lossless: bool = True  # False for the lossy JPEG processes (baseline, extended, progressive)
    arithmetic: bool = False  # JPEG arithmetic coding (SOF9-SOF15), which has no per-block bit floor


def codec_family(uid: str) -> str | None:
    """'JPEG', 'JPEG-LS', 'JPEG 2000', 'RLE', or None for native/unknown syntaxes."""
    return _FAMILIES.get(str(uid))


def first_fragment(path: Path, pixel_data: bytes) -> bytes:
    """The first fragment of encapsulated Pixel Data (the start of frame 0)."""
    try:
        for index, fragment in enumerate(generate_fragments(pixel_data)):
            if index:  # item 0 is the Basic Offset Table
                return fragment
    except (ValueError, struct.error) as exc:
        raise ImageLoadError(path, f"corrupt encapsulated pixel data: {library_detail(exc)}") from exc
    raise ImageLoadError(path, "encapsulated pixel data holds no fragment: no image follows the header")


def read_frame_header(path: Path, family: str, data: bytes) -> FrameHeader:
    """Parse the codestream's frame header, or refuse data that is not ``family``."""
    if family == JPEG_2000:
        return _j2k(path, data)
    if family in (JPEG, JPEG_LS):
        return _jpeg(path, family, data)
    return _rle(path, data)


def check_against_header(path: Path, ds: Dataset, found: FrameHeader) -> None:
    """Refuse a codestream whose frame disagrees with the DICOM image pixel module."""
    rows, columns = int(ds.Rows), int(ds.Columns)
    samples = _int(ds, "SamplesPerPixel", 1)
    bits_allocated, bits_stored = _int(ds, "BitsAllocated", 0), _int(ds, "BitsStored", 0)
    where = f"the {found.family} codestream"
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    needs = 3 if photometric.startswith(("RGB", "YBR")) else 1 if photometric else samples
    if needs != samples:
        raise ImageLoadError(
            path,
            f"Photometric Interpretation {photometric} does not fit "
            f"{samples} sample(s) per pixel; refused before decoding",
        )
    if found.family == RLE:
        expected = samples * max(bits_allocated // 8, 1)
        if found.components != expected:
            raise ImageLoadError(
                path,
                f"the RLE header has {found.components} segment(s) but Samples per Pixel "
                f"{samples} and Bits Allocated {bits_allocated} need {expected}; refused",
            )
        return
    if found.columns != columns or (found.rows and found.rows != rows):
        raise ImageLoadError(
            path,
            f"{where} is {found.columns}x{found.rows} px but the DICOM header "
            f"(Rows/Columns) says {columns}x{rows}; refused before decoding",
        )
    if found.components != samples:
        raise ImageLoadError(
            path,
            f"{where} has {found.components} component(s) but Samples per Pixel is {samples}; refused before decoding",
        )
    if bits_allocated and found.precision > bits_allocated:
        raise ImageLoadError(
            path,
            f"{where} stores {found.precision}-bit samples but Bits Allocated is "
            f"{bits_allocated}; refused before decoding",
        )
    # Lossless JPEG, JPEG-LS and JPEG 2000 files often state Bits Stored below
    # the codestream precision (15 in 16); gdcm aborts on a lossy JPEG whose
    # Bits Stored differs from its 8 or 12 bits, and on more bits than coded.
    if (
        found.family in (JPEG, JPEG_LS)
        and bits_stored
        and (bits_stored > found.precision or (not found.lossless and bits_stored != found.precision))
    ):
        raise ImageLoadError(
            path,
            f"{where} stores {found.precision}-bit samples but Bits Stored is {bits_stored}; refused before decoding",
        )


def _int(ds: Dataset, keyword: str, default: int) -> int:
    try:
        value = ds.get(keyword)
        return default if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return default


def _not_codec(path: Path, family: str, data: bytes) -> ImageLoadError:
    return UnsupportedImageError(
        path,
        f"the transfer syntax says {family} but the pixel data is not a {family} codestream; refused before decoding",
    )


def _j2k(path: Path, data: bytes) -> FrameHeader:
    start = 0 if data.startswith(_J2K_START) else -1
    if data.startswith(_JP2_SIGNATURE):  # a JP2 file: the codestream box follows
        start = data.find(_J2K_START, 0, _SEARCH)
    if start < 0:
        raise _not_codec(path, JPEG_2000, data)
    siz = data[start + 4 : start + 4 + 38]
    if len(siz) < 38:
        raise ImageLoadError(path, "the JPEG 2000 codestream is cut short inside its SIZ header")
    _, _, xsiz, ysiz, xo, yo, _, _, _, _, components = struct.unpack(">HHIIIIIIIIH", siz)
    ssiz = data[start + 42 : start + 42 + 3 * components : 3]
    if components == 0 or len(ssiz) < components:
        raise ImageLoadError(path, "the JPEG 2000 SIZ header is corrupt (no components)")
    return FrameHeader(JPEG_2000, ysiz - yo, xsiz - xo, components, max((s & 0x7F) + 1 for s in ssiz))


def _jpeg(path: Path, family: str, data: bytes) -> FrameHeader:
    if not data.startswith(b"\xff\xd8"):
        raise _not_codec(path, family, data)
    pos, end = 2, min(len(data), _SEARCH)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        is_ls = marker == _JPEG_LS_SOF
        if is_ls or marker in _JPEG_SOF:
            if is_ls != (family == JPEG_LS):
                raise _not_codec(path, family, data)
            segment = data[pos + 4 : pos + 10]
            if len(segment) < 6:
                break
            precision, rows, columns, components = struct.unpack(">BHHB", segment)
            lossy = not is_ls and marker not in (0xC3, 0xC7, 0xCB, 0xCF)
            return FrameHeader(family, rows, columns, components, precision, not lossy, marker >= 0xC9 and not is_ls)
        if marker in (0xDA, 0xD9):  # scan or end before any frame header
            break
        pos += 2 + length
    raise ImageLoadError(path, f"the {family} codestream has no readable frame header (SOF); refused")


def _rle(path: Path, data: bytes) -> FrameHeader:
    if len(data) < 64:
        raise _not_codec(path, RLE, data)
    header = struct.unpack("<16I", data[:64])
    segments, offsets = header[0], header[1:]
    if not 1 <= segments <= 15 or offsets[0] != 64 or any(not 64 <= offsets[i] <= len(data) for i in range(segments)):
        raise _not_codec(path, RLE, data)
    # RLE keeps no dimensions: only the segment count can be checked.
    return FrameHeader(RLE, 0, 0, segments, 0)

"""Valid films whose header states how to show them (issue 21): EXIF orientation, Presentation LUT
Shape INVERSE, Pixel Padding Value, a window that blanks the film. Built around a real film (uint8 gray);
shared by the imaging tests and benchmarks/fuzz_hostile.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cardioview.imaging.raster_header import EXIF_ORIENTATION
from tests.dicom_factory import write_dicom

# stored = STORE[o](film) is what a camera writes when the film is displayed after applying orientation o.
STORE = {
    3: lambda a: a[::-1, ::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, 1),
    8: lambda a: np.rot90(a, -1),
}
#: Pillow save options per kind of raster file.
RASTER_KINDS = {
    "tiff": {"format": "TIFF"},
    "tiff_lzw": {"format": "TIFF", "compression": "tiff_lzw"},
    "png": {"format": "PNG"},
    "jpeg": {"format": "JPEG", "quality": 95},
}
PAD_COLUMNS = 60


def save_oriented(film: np.ndarray, orientation: int, kind: str, path: Path) -> Path:
    """``film`` stored turned, with the EXIF Orientation that turns it back (an eXIf chunk for PNG)."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    stored = np.ascontiguousarray(STORE[orientation](film))
    Image.fromarray(stored).save(path, exif=exif.tobytes(), **RASTER_KINDS[kind])
    return path


def png_with_late_exif(film: np.ndarray, orientation: int, path: Path) -> Path:
    """A PNG stored turned, its eXIf chunk after the image data (allowed by PNG's 3rd edition)."""
    import zlib

    Image.fromarray(np.ascontiguousarray(STORE[orientation](film))).save(path)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    data = path.read_bytes()
    iend = data.rindex(b"IEND") - 4
    payload = exif.tobytes()[6:]  # the TIFF structure, without the "Exif\0\0" prefix
    chunk = len(payload).to_bytes(4, "big") + b"eXIf" + payload + zlib.crc32(b"eXIf" + payload).to_bytes(4, "big")
    path.write_bytes(data[:iend] + chunk + data[iend:])
    return path


def inverse_mono2(film: np.ndarray, path: Path) -> Path:
    """Stored inverted (255 - v), MONOCHROME2, and only Presentation LUT Shape INVERSE says so."""
    return write_dicom(path, (255 - film).astype(np.uint8), extra={"PresentationLUTShape": "INVERSE"})


def inverse_mono1(film: np.ndarray, path: Path) -> Path:
    """MONOCHROME1 (stored 255 - v) with the Presentation LUT Shape INVERSE its IOD requires: inverted once."""
    return write_dicom(
        path, (255 - film).astype(np.uint8), photometric="MONOCHROME1", extra={"PresentationLUTShape": "INVERSE"}
    )


def plain_12bit(film: np.ndarray, path: Path) -> Path:
    """The film at 12 bits (v * 15: below every padding value used here), its last PAD_COLUMNS columns black.

    The reference for the padded films.
    """
    stored = film.astype(np.uint16) * 15
    stored[:, -PAD_COLUMNS:] = 0
    return write_dicom(path, stored, bits_stored=12)


def padded_12bit(film: np.ndarray, path: Path, *, range_limit: bool = False) -> Path:
    """The same, its last columns padding: 65535 (cut to 4095 at 12 bits), or 4000..4095 with a range limit."""
    stored = film.astype(np.uint16) * 15
    if range_limit:
        stored[:, -PAD_COLUMNS:] = np.linspace(4000, 4095, PAD_COLUMNS, dtype=np.uint16)
        extra = {"PixelPaddingValue": 4095, "PixelPaddingRangeLimit": 4000}
    else:
        stored[:, -PAD_COLUMNS:] = 65535
        extra = {"PixelPaddingValue": 65535}
    return write_dicom(path, stored, bits_stored=12, extra=extra)


def blanking_window(film: np.ndarray, path: Path) -> Path:
    """An 8-bit film whose only window (centre 250, width 4) turns 99.9 % of it black."""
    return write_dicom(path, film, windows=[(250.0, 4.0, "blanks the film")])

"""Hostile DICOMs built from pydicom's own test files (shared by the hostile-input tests)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Callable

import pydicom
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate, generate_fragments


def edited(src: str, out: Path, edit: Callable[[pydicom.Dataset], None]) -> Path:
    ds = pydicom.dcmread(get_testdata_file(src))
    edit(ds)
    ds.save_as(out, enforce_file_format=False)
    return out


def frame0(ds: pydicom.Dataset) -> bytearray:
    return bytearray(list(generate_fragments(ds.PixelData))[1])


def set_codestream(ds: pydicom.Dataset, data: bytes) -> None:
    ds.PixelData = encapsulate([bytes(data)])


def j2k_siz_bomb(ds: pydicom.Dataset, size: int = 65000) -> None:
    """Rewrite the JPEG 2000 SIZ to ``size`` x ``size`` (the DICOM header keeps its own)."""
    data = frame0(ds)
    start = data.find(b"\xff\x4f\xff\x51")
    struct.pack_into(">II", data, start + 8, size, size)
    struct.pack_into(">II", data, start + 16, 0, 0)
    set_codestream(ds, data)


def jpeg_sof_bomb(ds: pydicom.Dataset, rows: int, columns: int, marker: int = 0xC0) -> None:
    """Rewrite the first SOF (or SOF55 for JPEG-LS) to rows x columns."""
    data = frame0(ds)
    for sof in (marker, 0xC1, 0xC3, 0xF7):
        at = data.find(bytes([0xFF, sof]))
        if at > 0:
            struct.pack_into(">HH", data, at + 5, rows, columns)
            break
    set_codestream(ds, data)


# Decoder crashers (python-gdcm aborts with SIGABRT, pylibjpeg-rle panics), from issue 9.
CRASHERS: dict[str, tuple[str, Callable[[pydicom.Dataset], None]]] = {
    "j2k_rgb": ("JPEG2000.dcm", lambda ds: setattr(ds, "PhotometricInterpretation", "RGB")),
    "jpegls_rows": ("JPEGLSNearLossless_16.dcm", lambda ds: setattr(ds, "Rows", 65534)),
    "jpeg_bits3": ("SC_rgb_jpeg_dcmtk.dcm", lambda ds: setattr(ds, "BitsStored", 3)),
    "rle_as_jpeg": ("emri_small_RLE.dcm",
                    lambda ds: setattr(ds.file_meta, "TransferSyntaxUID", "1.2.840.10008.1.2.4.50")),
    "rle_rows16": ("emri_small_RLE.dcm", lambda ds: setattr(ds, "Rows", 16)),
    # Passes every header check and still aborts gdcm: only the worker saves the caller.
    "jpeg_alloc32": ("SC_rgb_jpeg_dcmtk.dcm", lambda ds: setattr(ds, "BitsAllocated", 32)),
}

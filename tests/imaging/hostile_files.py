"""Hostile DICOMs built from pydicom's own test files (shared by the hostile-input tests)."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

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
    "rle_as_jpeg": (
        "emri_small_RLE.dcm",
        lambda ds: setattr(ds.file_meta, "TransferSyntaxUID", "1.2.840.10008.1.2.4.50"),
    ),
    "rle_rows16": ("emri_small_RLE.dcm", lambda ds: setattr(ds, "Rows", 16)),
    # Passes every header check and still aborts gdcm: only the worker saves the caller.
    "jpeg_alloc32": ("SC_rgb_jpeg_dcmtk.dcm", lambda ds: setattr(ds, "BitsAllocated", 32)),
}


def many_items(out: Path, count: int = 500_000) -> Path:
    """CT_small.dcm with a Referenced Image Sequence of ``count`` empty undefined-length items (16 B each).

    Byte level: pydicom takes minutes to write half a million items.
    """
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.ReferencedImageSequence = pydicom.Sequence([pydicom.Dataset()])
    ds.save_as(out, enforce_file_format=True)
    raw = out.read_bytes()
    one = b"\x08\x00\x40\x11SQ\x00\x00\x08\x00\x00\x00" + b"\xfe\xff\x00\xe0\x00\x00\x00\x00"
    at = raw.index(one)  # (0008,1140) SQ, length 8, one empty item
    item = b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"
    sequence = one[:8] + b"\xff\xff\xff\xff" + item * count + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    out.write_bytes(raw[:at] + sequence + raw[at + len(one) :])
    return out


def transfer_syntax_as_ob(out: Path) -> Path:
    """CT_small.dcm with its Transfer Syntax UID (0002,0010) written with VR OB (explicit VR LE file meta)."""
    raw = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    at = raw.index(b"\x02\x00\x10\x00UI")
    length = struct.unpack_from("<H", raw, at + 6)[0]
    value = raw[at + 8 : at + 8 + length]
    # OB: 2 reserved bytes and a 4-byte length, so the element grows by 4; the group length follows.
    raw = raw[:at] + b"\x02\x00\x10\x00OB\x00\x00" + struct.pack("<I", length) + value + raw[at + 8 + length :]
    group = raw.index(b"\x02\x00\x00\x00UL\x04\x00")
    old = struct.unpack_from("<I", raw, group + 8)[0]
    out.write_bytes(raw[: group + 8] + struct.pack("<I", old + 4) + raw[group + 12 :])
    return out


def deflated(src: Path, out: Path) -> Path:
    """``src`` (explicit VR little endian, file meta as pydicom writes it) re-encoded as Deflated Explicit VR LE."""
    import zlib

    raw = src.read_bytes()
    group = raw.index(b"\x02\x00\x00\x00UL\x04\x00")
    meta_end = group + 12 + struct.unpack_from("<I", raw, group + 8)[0]
    old_uid, new_uid = b"1.2.840.10008.1.2.1\x00", b"1.2.840.10008.1.2.1.99"
    old_ts = b"\x02\x00\x10\x00UI" + struct.pack("<H", len(old_uid)) + old_uid
    new_ts = b"\x02\x00\x10\x00UI" + struct.pack("<H", len(new_uid)) + new_uid
    meta = raw[:meta_end].replace(old_ts, new_ts)
    assert len(meta) == meta_end + 2, "source is not explicit VR little endian"
    meta = meta[: group + 8] + struct.pack("<I", meta_end - group - 12 + 2) + meta[group + 12 :]
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    out.write_bytes(meta + packer.compress(raw[meta_end:]) + packer.flush())
    return out


# Issue 21: files that stall a run or whose header lies, from pydicom's files and a real film.


def forged_jpeg_sof(film, out: Path, rows: int = 65500, columns: int = 1024) -> Path:
    """A 16x16 RGB JPEG of ``film`` (uint8 gray) whose SOF claims ``rows`` x ``columns``."""
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.stack([film] * 3, axis=-1)).resize((16, 16)).save(buffer, format="JPEG", quality=90)
    data = bytearray(buffer.getvalue())
    struct.pack_into(">HH", data, data.find(b"\xff\xc0") + 5, rows, columns)
    out.write_bytes(bytes(data))
    return out


def unknown_vr(out: Path, src: str = "MR_small.dcm") -> Path:
    """``src`` with its Photometric Interpretation stored under the made-up VR "JE"."""
    raw = bytearray(Path(get_testdata_file(src)).read_bytes())
    at = raw.find(b"\x28\x00\x04\x00CS")
    raw[at + 4 : at + 6] = b"JE"
    out.write_bytes(bytes(raw))
    return out


def sparse_copy(out: Path, size: int = 20 << 30, src: str = "MR_small.dcm") -> Path | None:
    """``src`` followed by zeros up to ``size`` bytes, as a sparse file; None when the file system stores the zeros."""
    out.write_bytes(Path(get_testdata_file(src)).read_bytes())
    os.truncate(out, size)
    if out.stat().st_blocks * 512 > 64 << 20:
        out.unlink()
        return None
    return out


def endless_link(out: Path) -> Path | None:
    """A symbolic link to /proc/self/pagemap: stat says regular file (size 0), reads never end; None without /proc."""
    target = Path("/proc/self/pagemap")
    try:
        with open(target, "rb") as f:
            f.read(8)
    except OSError:
        return None
    out.symlink_to(target)
    return out


def forged_pixel_length(out: Path, length: int = 0xFFFFFFF0, size: int = 20 << 30) -> Path | None:
    """A sparse ``size``-byte copy of MR_small.dcm whose Pixel Data claims ``length`` bytes (4 GB by default)."""
    raw = bytearray(Path(get_testdata_file("MR_small.dcm")).read_bytes())
    at = raw.rindex(b"\xe0\x7f\x10\x00OW")
    struct.pack_into("<I", raw, at + 8, length)
    out.write_bytes(bytes(raw))
    os.truncate(out, size)
    if out.stat().st_blocks * 512 > 64 << 20:
        out.unlink()
        return None
    return out

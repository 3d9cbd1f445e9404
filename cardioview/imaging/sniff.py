"""Recognise a file's format from its first bytes, not from its extension."""

from __future__ import annotations

from pathlib import Path

#: Bytes read to recognise a file: a DICOM preamble (128) plus 'DICM'.
HEAD_SIZE = 132

DICOM = "dicom"  # Part 10 file: 'DICM' at offset 128
DICOM_BARE = "dicom-bare"  # a dataset without preamble/meta, starting at group 0002 or 0008
PNG, JPEG, TIFF, BMP = "png", "jpeg", "tiff", "bmp"
RASTER_FORMATS = frozenset({PNG, JPEG, TIFF, BMP})

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RASTER_MAGIC = (
    (PNG_SIGNATURE, PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),
    (b"MM\x00+", TIFF),
)
# BITMAPINFOHEADER sizes: 'BM' alone is too weak a signature.
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}

#: Extensions under which a file without preamble may still be a DICOM dataset.
DICOM_SUFFIXES = frozenset({".dcm", ".dicom", ".dic", ".ima", ""})
#: What each raster extension promises, to name it when the content disagrees.
RASTER_SUFFIXES = {".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".tif": TIFF, ".tiff": TIFF, ".bmp": BMP}

# Other formats people drop by mistake, named in the error message.
_OTHER_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP/AVI/WAV)"),
    (b"\x00\x00\x00\x0cjP", "a JPEG 2000 file"),
    (b"\xef\xbb\xbf", "text"),
    (b"{", "text (JSON?)"),
    (b"<", "text (XML/HTML?)"),
)


def read_head(path: str | Path) -> bytes:
    """The first HEAD_SIZE bytes of a file (fewer if it is shorter)."""
    with open(path, "rb") as f:
        return f.read(HEAD_SIZE)


def sniff(head: bytes) -> str | None:
    """The format the bytes announce: DICOM, DICOM_BARE, a raster format, or None."""
    if head[128:132] == b"DICM":
        return DICOM
    for magic, fmt in _RASTER_MAGIC:
        if head.startswith(magic):
            return fmt
    if head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_DIB_SIZES:
        return BMP
    if _looks_like_bare_dicom(head):
        return DICOM_BARE
    return None


def _looks_like_bare_dicom(head: bytes) -> bool:
    # A dataset written without preamble starts with a group 0002 or 0008 tag,
    # little endian, with a small element number: (0008,0005), (0008,0016)...
    return len(head) >= 8 and head[:2] in (b"\x02\x00", b"\x08\x00") and head[3] == 0


def describe(head: bytes) -> str:
    """A few words on what unrecognised bytes look like, for error messages."""
    if not head:
        return "the file is empty"
    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic):
            return f"it looks like {what}"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
        return "it looks like text"
    return "its content is not a recognised image format"  # never echo the bytes: they are the user's data

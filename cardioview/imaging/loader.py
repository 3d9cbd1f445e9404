"""One entry point for any image file: ``load(path) -> XRay``.

The format comes from the file's content (DICOM preamble, PNG/JPEG/TIFF/BMP
signatures), never from its extension alone. Every failure is an
ImageLoadError (or subclass) with a one-line reason naming the file; no
traceback reaches the user.
"""

from __future__ import annotations

from pathlib import Path

from cardioview.errors import CardioViewError, ImageLoadError, ImageTooLargeError, UnsupportedImageError
from cardioview.imaging.budget import DEFAULT_PIXEL_BUDGET
from cardioview.imaging.detail import library_detail
from cardioview.imaging.dicom import load_dicom
from cardioview.imaging.raster import load_raster
from cardioview.imaging.sniff import (
    DICOM,
    DICOM_BARE,
    DICOM_SUFFIXES,
    RASTER_FORMATS,
    RASTER_SUFFIXES,
    describe,
    read_head,
    sniff,
)
from cardioview.imaging.xray import XRay


def load(path: str | Path, pixel_budget: int = DEFAULT_PIXEL_BUDGET, frame: int = 0) -> XRay:
    """Load a chest X-ray from a DICOM, PNG, JPEG, TIFF or BMP file.

    Args:
        path: the file.
        pixel_budget: most pixels the header may declare (refused before decoding).
        frame: which frame of a multi-frame DICOM (0-based); other files have only frame 0.

    Returns:
        A display-ready XRay, with suitability warnings attached.

    Raises:
        ImageLoadError: the file cannot be turned into an XRay; subclasses
            UnsupportedImageError, MissingDecoderError and ImageTooLargeError
            say why more precisely. ``str(err)`` is one line: "name: reason".

    Example:
        >>> xray = load("chest.dcm")            # doctest: +SKIP
        >>> xray.pixels.shape, xray.warnings    # doctest: +SKIP
    """
    path = Path(path)
    try:
        return _load(path, pixel_budget, frame)
    except CardioViewError:
        raise
    except MemoryError as exc:
        raise ImageTooLargeError(path, "not enough memory to decode this image") from exc
    except Exception as exc:  # a library failure we did not anticipate: still one line
        raise ImageLoadError(path, f"could not read the image ({type(exc).__name__}: {library_detail(exc)})") from exc


def _load(path: Path, pixel_budget: int, frame: int = 0) -> XRay:
    if not path.exists():
        raise ImageLoadError(path, "no such file")
    if not path.is_file():
        raise UnsupportedImageError(path, "not a file (a folder? use scan for folders)")
    try:
        head = read_head(path)
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if not head:
        raise ImageLoadError(path, "empty file")
    fmt = sniff(head)
    if fmt == DICOM:
        return load_dicom(path, pixel_budget, frame)
    if frame:
        raise ImageLoadError(path, f"frame {frame + 1} asked for; only DICOM files have more than one")
    if fmt in RASTER_FORMATS:
        return load_raster(path, pixel_budget)
    suffix = path.suffix.lower()
    if fmt == DICOM_BARE or suffix in DICOM_SUFFIXES:
        return load_dicom(path, pixel_budget, frame)
    if suffix in RASTER_SUFFIXES:
        raise ImageLoadError(path, f"not a valid {RASTER_SUFFIXES[suffix].upper()} image: {describe(head)}")
    raise UnsupportedImageError(path, f"not a DICOM, PNG, JPEG, TIFF or BMP image: {describe(head)}")


def is_candidate_image(path: str | Path) -> bool:
    """Cheap check (first 132 bytes) for files worth loading or scanning.

    True for anything announcing DICOM or a raster format, and for files with a
    DICOM-ish name (.dcm, no extension) that are non-empty, since bare datasets
    have no signature.
    """
    path = Path(path)
    try:
        head = read_head(path)
    except OSError:
        return False
    if not head:
        return False
    return sniff(head) is not None or path.suffix.lower() in (DICOM_SUFFIXES - {""})

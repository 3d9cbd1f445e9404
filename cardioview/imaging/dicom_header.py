"""Reading DICOM headers: parse a file safely and pull plain facts out of it.

Shared by the loader (which then decodes the pixels) and the folder scan
(which never touches pixel data).
"""

from __future__ import annotations

import io
import math
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Sequence

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_partial
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from cardioview.errors import ImageLoadError, UnsupportedImageError
from cardioview.imaging.dicom_items import ItemCounter, check_item_count
from cardioview.imaging.xray import Window, XRayMetadata

_UNDEFINED_LENGTH = 0xFFFFFFFF
# Pixel Data, Float Pixel Data, Double Float Pixel Data.
_PIXEL_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}
# Bytes read at once for a scan: holds the header up to group 0028 of nearly any file.
_SCAN_BUFFER = 64 * 1024
# Smallest DICOM element header: pydicom silently stops when fewer bytes remain.
_ELEMENT_HEADER_SIZE = 8


@contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's warnings: they quote element values, possibly patient names.

    Values are converted lazily, so reading *and* header access go inside.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def read_dataset(path: str | Path, *, stop_before_pixels: bool, scan_tags: Sequence[int] | None = None,
                 prechecked: bool = False) -> Dataset:
    """Parse a DICOM file, or raise an ImageLoadError with a one-line reason.

    Part 10 files (with the 'DICM' preamble) are read strictly; a bare dataset
    without preamble or file meta (older files, some test files) is read with
    ``force=True`` and accepted only if it has image-like tags.

    Args:
        path: the file.
        stop_before_pixels: read the header only.
        scan_tags: fast path for folder scans: keep only these tags and stop
            after the highest one, parsing from a buffer of the file's start.
            Skips the truncation check.
        prechecked: this file already passed the inflation and item-count
            checks (the loader reads it twice); skip them.

    Returns:
        The dataset, with ``file_meta.TransferSyntaxUID`` always set.
    """
    path = Path(path)
    try:
        with quiet_pydicom():
            if scan_tags:
                ds, bare = _read_scan_tags(path, scan_tags)
            else:
                if not prechecked:
                    check_inflated_size(path)
                    check_item_count(path)
                with open(path, "rb") as f:
                    ds, bare = _parse(f, _at_pixel_data if stop_before_pixels else None)
    except ImageLoadError:
        raise
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # pydicom raises many types on corrupt headers
        raise ImageLoadError(path, f"corrupt DICOM header ({type(exc).__name__}: {_first_line(exc)})") from exc

    _check_transfer_syntax_vr(path, ds)
    if not _has_image_tags(ds):
        if bare:
            raise UnsupportedImageError(path, "not a DICOM file: no 'DICM' marker and no readable DICOM header")
        if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
            raise ImageLoadError(path, "corrupt DICOM: no readable header after the 'DICM' marker")
    if not scan_tags and transfer_syntax_of(ds) != DeflatedExplicitVRLittleEndian:
        # A deflated dataset's element offsets are in the inflated stream, not the file.
        _check_not_truncated(path, ds)
    _ensure_transfer_syntax(ds)
    return ds


#: Most bytes a Deflated Explicit VR dataset may inflate to (checked by
#: streaming before pydicom inflates it whole).
MAX_INFLATED_BYTES = 512 * 1024 * 1024


def transfer_syntax_of(ds: Dataset) -> str:
    try:
        return str(ds.file_meta.TransferSyntaxUID)
    except AttributeError:
        return ""


def check_inflated_size(path: Path, limit: int = MAX_INFLATED_BYTES) -> None:
    """Refuse a deflated dataset that inflates past ``limit`` (a zip bomb), in bounded memory.

    Also counts the inflated stream's sequence items: the raw-byte count cannot see them.
    """
    import zlib
    from pydicom.filereader import _read_file_meta_info, read_preamble
    with open(path, "rb") as f:
        try:
            read_preamble(f, False)
            meta = _read_file_meta_info(f)
        except Exception:  # not Part 10: pydicom's own parse reports it
            return
        if str(meta.get("TransferSyntaxUID", "")) != DeflatedExplicitVRLittleEndian:
            return
        inflater, total, items = zlib.decompressobj(-zlib.MAX_WBITS), 0, ItemCounter()
        while chunk := f.read(1 << 20):
            while chunk:
                out = inflater.decompress(chunk, 1 << 24)
                items.feed(out)
                total += len(out)
                if total > limit:
                    raise ImageLoadError(path, f"deflated dataset inflates past {limit >> 20:,} MB "
                                               "(a decompression bomb?); refused")
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                break
        items.check(path)


def _parse(f: BinaryIO, stop_when: Callable[[BaseTag, str | None, int], bool] | None,
           specific_tags: Sequence[int] | None = None) -> tuple[Dataset, bool]:
    """read_partial (what dcmread runs) with our stop condition; (dataset, read as bare dataset?)."""
    tags = list(specific_tags) if specific_tags else None
    try:
        return read_partial(f, stop_when, specific_tags=tags), False
    except InvalidDicomError:
        f.seek(0)
        return read_partial(f, stop_when, force=True, specific_tags=tags), True


def _read_scan_tags(path: Path, scan_tags: Sequence[int]) -> tuple[Dataset, bool]:
    last = max(int(t) for t in scan_tags)
    reached_end = False

    def past_last(tag: BaseTag, vr: str | None, length: int) -> bool:
        nonlocal reached_end
        # int comparison: BaseTag's own operators are slow in this hot loop.
        reached_end = reached_end or int.__gt__(tag, last)
        return reached_end

    with open(path, "rb") as f:
        head = f.read(_SCAN_BUFFER)
        full = len(head) == _SCAN_BUFFER
        if DeflatedExplicitVRLittleEndian.encode() in head[:_SCAN_BUFFER // 16]:  # rare: only then inflate to check
            check_inflated_size(path)
        try:
            # Parsing from memory is measurably faster than from the file object.
            ds, bare = _parse(io.BytesIO(head), past_last, scan_tags)
        except Exception:
            if not full:
                raise
            reached_end = False  # an element (a long sequence) runs past the buffer
        if not reached_end and full:  # header longer than the buffer
            check_item_count(path)
            f.seek(0)
            ds, bare = _parse(f, past_last, scan_tags)
    return ds, bare


def _check_transfer_syntax_vr(path: Path, ds: Dataset) -> None:
    """A Transfer Syntax UID written as binary (OB...) is unusable: say so, not a TypeError later."""
    meta = getattr(ds, "file_meta", None)
    if meta is None or 0x00020010 not in meta:
        return
    vr = meta.get_item(0x00020010).VR
    if vr not in (None, "UI"):
        raise ImageLoadError(path, f"Transfer Syntax UID (0002,0010) is stored with VR {vr} instead of UI: "
                                   "corrupt file meta")


def _at_pixel_data(tag: BaseTag, vr: str | None, length: int) -> bool:
    return tag in _PIXEL_TAGS


def _has_image_tags(ds: Dataset) -> bool:
    return any(k in ds for k in ("SOPClassUID", "Rows", "Modality", "StudyInstanceUID"))


def _check_not_truncated(path: Path, ds: Dataset) -> None:
    """pydicom drops a last element cut short without a word: detect that here."""
    tags = list(ds.keys())
    if not tags:
        return
    last = ds.get_item(tags[-1])
    value_tell, length = getattr(last, "value_tell", None), getattr(last, "length", None)
    if value_tell is None or length is None or length == _UNDEFINED_LENGTH:
        return
    end, size = value_tell + length, path.stat().st_size
    if end > size or 0 < size - end < _ELEMENT_HEADER_SIZE:
        raise ImageLoadError(path, f"truncated DICOM: the file ends inside element {last.tag} ({size:,} bytes)")


def _ensure_transfer_syntax(ds: Dataset) -> None:
    # A bare dataset has no file meta; pydicom knows how it read it, which is
    # what the decoders need.
    if "TransferSyntaxUID" in getattr(ds, "file_meta", {}):
        return
    implicit, little = ds.original_encoding
    uid = ImplicitVRLittleEndian if implicit else (ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid


def transfer_syntax(ds: Dataset) -> UID:
    return UID(ds.file_meta.TransferSyntaxUID)


def text(ds: Dataset, keyword: str) -> str:
    """A header value as a stripped string, '' when absent or unreadable."""
    try:
        value = ds.get(keyword)
    except Exception:  # a malformed value must not stop loading
        return ""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, MultiValue)):
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


def integer(ds: Dataset, keyword: str, default: int | None = None) -> int | None:
    """A header value as int (IS/US), ``default`` when absent or malformed."""
    try:
        value = ds.get(keyword)
        return default if value is None or value == "" else int(value)
    except Exception:  # malformed IS, or a value pydicom cannot convert
        return default


def frame_count(ds: Dataset) -> int:
    return max(integer(ds, "NumberOfFrames", 1) or 1, 1)


def metadata_from_dataset(ds: Dataset) -> XRayMetadata:
    """The plain header facts an XRay carries."""
    return XRayMetadata(
        patient_name=text(ds, "PatientName"),
        patient_id=text(ds, "PatientID"),
        patient_sex=text(ds, "PatientSex"),
        patient_age=text(ds, "PatientAge"),
        study_instance_uid=text(ds, "StudyInstanceUID"),
        series_instance_uid=text(ds, "SeriesInstanceUID"),
        sop_instance_uid=text(ds, "SOPInstanceUID"),
        study_date=text(ds, "StudyDate"),
        study_time=text(ds, "StudyTime"),
        study_description=text(ds, "StudyDescription"),
        series_description=text(ds, "SeriesDescription"),
        modality=text(ds, "Modality"),
        body_part=text(ds, "BodyPartExamined"),
        view_position=text(ds, "ViewPosition"),
        manufacturer=text(ds, "Manufacturer"),
        photometric_interpretation=text(ds, "PhotometricInterpretation"),
        transfer_syntax=transfer_syntax(ds).name,
    )


def pixel_spacing(ds: Dataset) -> tuple[float, float] | None:
    """(row, column) spacing in mm from Pixel Spacing, else Imager Pixel Spacing.

    Zero, negative or malformed values (some CR files write 0\\0) mean unknown.
    """
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        try:
            values = [float(v) for v in ds.get(keyword) or ()]
        except Exception:  # malformed or single-valued: unknown
            continue
        if len(values) == 2 and all(math.isfinite(v) and v > 0 for v in values):
            return values[0], values[1]
    return None


def windows(ds: Dataset) -> tuple[Window, ...]:
    """Every window the header defines (Window Center/Width, VM 1-n), in order."""
    try:
        centers = _as_floats(ds.get("WindowCenter"))
        widths = _as_floats(ds.get("WindowWidth"))
        explanations = _as_strings(ds.get("WindowCenterWidthExplanation"))
    except Exception:  # malformed DS values: no usable window
        return ()
    return tuple(
        Window(center=c, width=w, explanation=explanations[i] if i < len(explanations) else "")
        for i, (c, w) in enumerate(zip(centers, widths))
    )


def _as_floats(value: Any) -> list[float]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return [float(value)]
    return [float(v) for v in value]


def _as_strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        return [str(value).strip()]
    return [str(v).strip() for v in value]


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__

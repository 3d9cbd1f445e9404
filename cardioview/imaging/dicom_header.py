"""Reading DICOM headers: parse a file safely, with bounded reads and a specific reason for every refusal.

Shared by the loader (which then decodes the pixels) and the folder scan
(which never touches pixel data). The values are read out by dicom_values.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_partial
from pydicom.tag import BaseTag
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
from pydicom.valuerep import VR

from cardioview.errors import ImageLoadError, UnsupportedImageError
from cardioview.imaging.bounded_read import (
    MAX_HEADER_BYTES,
    MAX_READS,
    BoundedReader,
    TooManyReads,
    read_prefix_chunks,
)
from cardioview.imaging.detail import library_detail
from cardioview.imaging.dicom_items import ItemCounter, check_item_count
from cardioview.imaging.scan_reader import read_scan_elements

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


def read_dataset(
    path: str | Path,
    *,
    stop_before_pixels: bool,
    scan_tags: Sequence[int] | None = None,
    prechecked: bool = False,
    pixel_bytes: int | None = None,
) -> Dataset:
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
        pixel_bytes: most bytes the Pixel Data may take (a longer declared length is
            refused before it is read); reading stops after the pixel data.

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
                stop = _at_pixel_data if stop_before_pixels else _after_pixel_data(path, pixel_bytes)
                ds, bare = _parse_bounded(
                    path, stop, MAX_HEADER_BYTES + (0 if stop_before_pixels else (pixel_bytes or MAX_PIXEL_BYTES) + 16)
                )
    except ImageLoadError:
        raise
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # pydicom raises many types on corrupt headers
        raise ImageLoadError(path, f"corrupt DICOM header ({type(exc).__name__}: {library_detail(exc)})") from exc

    _check_transfer_syntax_vr(path, ds)
    if not scan_tags:
        _check_image_vrs(path, ds)
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
        # Compressed input is bounded too: empty stored blocks inflate to nothing, forever.
        for chunk in read_prefix_chunks(f, limit, 1 << 20):
            while chunk:
                out = inflater.decompress(chunk, 1 << 24)
                items.feed(out)
                total += len(out)
                if total > limit:
                    raise ImageLoadError(
                        path, f"deflated dataset inflates past {limit >> 20:,} MB (a decompression bomb?); refused"
                    )
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                break
        items.check(path)


#: Most bytes Pixel Data may take when the caller gives no size (100 MP of 16-bit RGB is 600 MB).
MAX_PIXEL_BYTES = 1 << 30


def _parse_bounded(
    path: Path,
    stop_when: Callable[[BaseTag, str | None, int], bool],
    limit: int,
    specific_tags: Sequence[int] | None = None,
) -> tuple[Dataset, bool]:
    """_parse over at most ``limit`` bytes of the file; an endless or oversized file is refused, not read on."""
    with open(path, "rb") as f:
        if _zeros_where_the_dataset_starts(f):
            raise ImageLoadError(
                path, "no DICOM data: zeros where the dataset should start (an empty, sparse or endless file)"
            )
        reader = BoundedReader(f, limit)
        try:
            result = _parse(reader, stop_when, specific_tags)
        except ImageLoadError:
            raise
        except TooManyReads:
            raise ImageLoadError(
                path,
                f"the DICOM header holds more than {MAX_READS // 3:,} elements: refused as a hostile or corrupt file",
            ) from None
        except Exception:
            if reader.cut:
                raise _endless(path, limit) from None
            raise
    if reader.cut:
        raise _endless(path, limit)
    return result


def _zeros_where_the_dataset_starts(f: BinaryIO) -> bool:
    """True when the first dataset element (after the preamble and file meta, if any) is all zeros.

    pydicom would read such bytes as millions of empty command elements (0000,0000).
    """
    from pydicom.filereader import _read_file_meta_info

    head = f.read(132)
    if head[128:132] == b"DICM":
        try:
            _read_file_meta_info(f)
        except Exception:  # pydicom's own parse reports a bad file meta
            f.seek(0)
            return False
        first = f.read(8)
    else:
        first = head[:8]
    f.seek(0)
    return len(first) == 8 and not any(first)


def _endless(path: Path, limit: int) -> ImageLoadError:
    return ImageLoadError(
        path,
        f"the DICOM data runs on past {limit >> 20:,} MB without ending where its header "
        "says (an endless, padded or corrupt file); stopped reading and refused",
    )


def _parse(
    f: BinaryIO,
    stop_when: Callable[[BaseTag, str | None, int], bool] | None,
    specific_tags: Sequence[int] | None = None,
) -> tuple[Dataset, bool]:
    """read_partial (what dcmread runs) with our stop condition; (dataset, read as bare dataset?)."""
    tags = list(specific_tags) if specific_tags else None
    try:
        return read_partial(f, stop_when, specific_tags=tags), False
    except InvalidDicomError:
        f.seek(0)
        return read_partial(f, stop_when, force=True, specific_tags=tags), True


@lru_cache(maxsize=8)
def _as_ints(tags: tuple) -> frozenset[int]:
    return frozenset(int(t) for t in tags)


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
        if DeflatedExplicitVRLittleEndian.encode() in head[: _SCAN_BUFFER // 16]:  # rare: only then inflate to check
            check_inflated_size(path)
        fast = read_scan_elements(head, _as_ints(tuple(scan_tags)), last, whole_file=not full)
        if fast is not None:  # plain files: only the wanted elements, read without pydicom's generic walk
            return fast, False
        try:
            # Parsing from memory is measurably faster than from the file object.
            ds, bare = _parse(io.BytesIO(head), past_last, scan_tags)
        except Exception:
            if not full:
                raise
            reached_end = False  # an element (a long sequence) runs past the buffer
    if not reached_end and full:  # header longer than the buffer
        check_item_count(path)
        ds, bare = _parse_bounded(
            path, lambda tag, vr, length: past_last(tag, vr, length) or _zeros(tag, length), MAX_HEADER_BYTES, scan_tags
        )
    return ds, bare


def _check_transfer_syntax_vr(path: Path, ds: Dataset) -> None:
    """A Transfer Syntax UID written as binary (OB...) is unusable: say so, not a TypeError later."""
    meta = getattr(ds, "file_meta", None)
    if meta is None or 0x00020010 not in meta:
        return
    vr = meta.get_item(0x00020010).VR
    if vr not in (None, "UI"):
        raise ImageLoadError(
            path, f"Transfer Syntax UID (0002,0010) is stored with VR {vr} instead of UI: corrupt file meta"
        )


_KNOWN_VRS = frozenset(vr.value for vr in VR)
# Groups the loader reads values from: SOP class/modality, the image pixel module, VOI and
# padding (0028), the Presentation LUT Shape (2050) and the pixel data (7FE0).
_IMAGE_GROUPS = frozenset({0x0008, 0x0028, 0x2050, 0x7FE0})


def _check_image_vrs(path: Path, ds: Dataset) -> None:
    """Refuse an element the loader needs whose value representation is not a DICOM one (e.g. "JE").

    pydicom would otherwise fail on first access with "NotImplementedError: Unknown Value Representation".
    """
    for tag in ds.keys():
        if tag >> 16 not in _IMAGE_GROUPS:
            continue
        vr = ds.get_item(tag).VR
        if vr is not None and vr not in _KNOWN_VRS:
            name = keyword_for_tag(tag) or "a private element"
            raise ImageLoadError(
                path,
                f"header element {BaseTag(tag)} ({name}) is stored with an unknown value "
                "representation (VR): the file is corrupt; refused",
            )


def _at_pixel_data(tag: BaseTag, vr: str | None, length: int) -> bool:
    return tag in _PIXEL_TAGS or _zeros(tag, length)


def _zeros(tag: BaseTag, length: int) -> bool:
    """(0000,0000) of length 0 where a dataset element should be: zeros (sparse or endless padding), not DICOM."""
    return tag == 0 and length == 0


def _after_pixel_data(path: Path, pixel_bytes: int | None) -> Callable[[BaseTag, str | None, int], bool]:
    """A stop condition that reads the pixel data (if its length is sane) and nothing after it."""
    seen = False

    def stop(tag: BaseTag, vr: str | None, length: int) -> bool:
        nonlocal seen
        if seen or _zeros(tag, length):
            return True
        if tag in _PIXEL_TAGS:
            if pixel_bytes is not None and length != _UNDEFINED_LENGTH and length > pixel_bytes:
                raise ImageLoadError(
                    path,
                    f"Pixel Data declares {length:,} bytes, more than the {pixel_bytes:,} "
                    "its image can take: a corrupt or forged length; refused before reading it",
                )
            seen = True
        return False

    return stop


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

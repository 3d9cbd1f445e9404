"""A fast reader for folder scans: the few header elements a scan lists, from a file's first bytes.

pydicom's generic reader spends most of a scan's time walking the hundreds of elements
(private groups included) that come before Rows/Columns. This walks only the element
headers with ``struct`` and hands the wanted raw elements to pydicom, which still converts
their values (character sets, VRs). Anything unusual (no 'DICM' preamble, deflated or big
endian data, an explicit VR that is not two capitals, an undefined length other than a
sequence, a header longer than the bytes given) returns None, and the caller uses pydicom's
reader, which reports problems in detail.
"""

from __future__ import annotations

import struct

from pydicom.datadict import dictionary_VR as dictionary_vr
from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag

_IMPLICIT_LE = "1.2.840.10008.1.2"
_NOT_EXPLICIT_LE = {"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2"}  # deflated, big endian: pydicom's job
# Explicit VRs with a 2-byte reserved field and a 4-byte length (PS3.5 7.1.2).
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_TRANSFER_SYNTAX = 0x00020010
_MAX_DEPTH = 8
_HEAD = struct.Struct("<HH")
_EXPLICIT = struct.Struct("<HH2sH")
_CAPITALS = range(65, 91)
_CAPITAL_PAIRS = frozenset(bytes((a, b)) for a in _CAPITALS for b in _CAPITALS)
_VR_TEXT = {pair: pair.decode() for pair in _CAPITAL_PAIRS}
_SHORT = struct.Struct("<H")
_LONG = struct.Struct("<I")


class _Unusual(Exception):
    """The bytes are not plain enough for this reader: use pydicom's."""


def read_scan_elements(head: bytes, wanted: frozenset[int], last: int, whole_file: bool) -> ScanHeader | Dataset | None:
    """The wanted top-level elements of a Part 10 file: their values (ScanHeader) for a plain
    character set, else a pydicom Dataset of the raw elements.

    Args:
        head: the file's first bytes.
        wanted: tags to keep (as ints); the walk stops at the first tag above ``last``.
        whole_file: ``head`` is the whole file (so running out of bytes ends the dataset).

    Returns:
        The dataset (file meta with its Transfer Syntax UID set), or None when pydicom must read it.
    """
    if head[128:132] != b"DICM":
        return None
    try:
        meta, start = _walk(head, 132, implicit=False, wanted=None, stop_group=0x0002, whole_file=whole_file)
        syntax_element = meta.get(_TRANSFER_SYNTAX)
        if syntax_element is None or syntax_element.VR != "UI":
            return None
        syntax = syntax_element.value.rstrip(b"\0 ").decode("ascii")
        if syntax in _NOT_EXPLICIT_LE:
            return None
        implicit = syntax == _IMPLICIT_LE
        found, _ = _walk(head, start, implicit=implicit, wanted=wanted, last=last, whole_file=whole_file)
    except (_Unusual, struct.error, UnicodeDecodeError):
        return None
    file_meta = FileMetaDataset()
    file_meta.TransferSyntaxUID = syntax
    plain = _plain_values(found)
    if plain is not None:
        plain.file_meta = file_meta
        return plain
    ds = Dataset(found)  # another character set: pydicom converts the values
    ds.file_meta = file_meta
    ds.set_original_encoding(implicit, True, None)
    return ds


class ScanHeader(dict):
    """Header values by keyword, as the scan reads them: ``str`` (several values joined by a
    backslash, as ``dicom_header.text`` shows them), ``int`` (US) or None (empty US); plus
    ``file_meta``. It answers ``get``, ``in`` and ``file_meta`` as a pydicom Dataset does."""

    file_meta: FileMetaDataset


# Specific Character Set values decoded here; any other (ISO 2022 escapes, GB18030...) is left to pydicom.
_ENCODINGS = {b"": "latin-1", b"ISO_IR 6": "latin-1", b"ISO_IR 100": "latin-1", b"ISO_IR 192": "utf-8"}
# Text VRs; those the character set applies to (PS3.5 6.1.2.3) decode with it, the rest are ASCII.
_TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DT", "TM", "UI", "UR", "IS", "DS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"}
)
_CHARSET_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})
_CHARSET = 0x00080005


def _plain_values(found: dict[BaseTag, RawDataElement]) -> ScanHeader | None:
    """Convert the raw elements as pydicom would for a plain character set; None for anything else."""
    charset = found.get(_CHARSET)
    encoding = _ENCODINGS.get(charset.value.strip(b" \0") if charset is not None else b"")
    if encoding is None:
        return None
    header = ScanHeader()
    for tag, raw in found.items():
        vr = raw.VR or dictionary_vr(tag)
        if vr == "US" and raw.length in (0, 2):
            value = _SHORT.unpack(raw.value)[0] if raw.length else None
        elif vr in _TEXT_VRS:
            value = raw.value.decode(encoding if vr in _CHARSET_VRS else "latin-1").rstrip(" \0")
        else:
            return None  # a VR a scan tag should not have: pydicom's conversion says what it is
        header[keyword_for_tag(tag)] = value
    return header


def _walk(
    head: bytes,
    pos: int,
    *,
    implicit: bool,
    wanted: frozenset[int] | None,
    whole_file: bool,
    last: int = 0xFFFFFFFF,
    stop_group: int | None = None,
) -> tuple[dict[BaseTag, RawDataElement], int]:
    """Raw elements from ``pos``: those in ``wanted`` (all when None), until a tag above ``last``,
    another group than ``stop_group``, or the end of the bytes; returns them and where the walk stopped."""
    found: dict[BaseTag, RawDataElement] = {}
    end = len(head)
    # The element header is inlined (this loop runs for every element of every file a scan reads).
    while pos + 8 <= end:
        group, element, vr, length = _EXPLICIT.unpack_from(head, pos)
        tag = group << 16 | element
        if tag > last or (stop_group is not None and group != stop_group):
            return found, pos
        if implicit:
            vr, length, value_at = None, _LONG.unpack_from(head, pos + 4)[0], pos + 8
        elif vr not in _CAPITAL_PAIRS:
            raise _Unusual  # not explicit VR after all
        elif vr in _LONG_VRS:
            if pos + 12 > end:
                raise _Unusual
            length, value_at = _LONG.unpack_from(head, pos + 8)[0], pos + 12
        else:
            value_at = pos + 8
        if vr is not None:
            vr = _VR_TEXT[vr]
        if length == _UNDEFINED:  # a sequence (implicit VR: it can only be one) that the scan skips
            if vr not in ("SQ", None) or wanted is None or tag in wanted:
                raise _Unusual
            value_end = _sequence_end(head, value_at, implicit, 0)
        else:
            value_end = value_at + length
        if value_end > end:
            raise _Unusual  # an element runs past the bytes read
        if wanted is None or tag in wanted:
            if vr == "SQ":
                raise _Unusual  # a scan never wants a sequence: a forged header
            found[BaseTag(tag)] = RawDataElement(
                BaseTag(tag), vr, length, head[value_at:value_end], value_at, implicit, True
            )
        pos = value_end
    if pos != end or not whole_file:
        raise _Unusual  # the header goes on past the bytes read
    return found, pos


def _element_header(head: bytes, pos: int, implicit: bool) -> tuple[str | None, int, int]:
    """(VR or None when implicit, value length, where the value starts), inside sequences."""
    if implicit:
        return None, _LONG.unpack_from(head, pos + 4)[0], pos + 8
    vr = head[pos + 4 : pos + 6]
    if vr not in _CAPITAL_PAIRS:
        raise _Unusual
    if vr in _LONG_VRS:
        if pos + 12 > len(head):
            raise _Unusual
        return _VR_TEXT[vr], _LONG.unpack_from(head, pos + 8)[0], pos + 12
    return _VR_TEXT[vr], _SHORT.unpack_from(head, pos + 6)[0], pos + 8


def _sequence_end(head: bytes, pos: int, implicit: bool, depth: int) -> int:
    """Where an undefined-length sequence starting at ``pos`` ends (after its delimiter)."""
    if depth > _MAX_DEPTH:
        raise _Unusual
    end = len(head)
    while pos + 8 <= end:
        group, element = _HEAD.unpack_from(head, pos)
        tag = group << 16 | element
        length = _LONG.unpack_from(head, pos + 4)[0]
        if tag == _SEQUENCE_END:
            return pos + 8
        if tag != _ITEM:
            raise _Unusual
        pos = _item_end(head, pos + 8, implicit, depth) if length == _UNDEFINED else pos + 8 + length
    raise _Unusual


def _item_end(head: bytes, pos: int, implicit: bool, depth: int) -> int:
    """Where an undefined-length item's elements end (after its delimiter)."""
    end = len(head)
    while pos + 8 <= end:
        group, element = _HEAD.unpack_from(head, pos)
        if (group << 16 | element) == _ITEM_END:
            return pos + 8
        vr, length, value_at = _element_header(head, pos, implicit)
        if length == _UNDEFINED:
            if vr not in ("SQ", None):
                raise _Unusual
            pos = _sequence_end(head, value_at, implicit, depth + 1)
        else:
            pos = value_at + length
    raise _Unusual

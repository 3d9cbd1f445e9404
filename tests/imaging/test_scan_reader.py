"""The scan's fast header reader gives what pydicom's reader gives (issue 21, item 9: the scan rate).

Checked on every pydicom test file: for each scan tag the text and integer values agree, or the
fast reader declines (returns None) and the scan uses pydicom's reader.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file, get_testdata_files
from pydicom.datadict import keyword_for_tag

from cardioview.imaging.dicom_header import quiet_pydicom, read_dataset
from cardioview.imaging.dicom_values import integer, text
from cardioview.imaging.folder_scan import _SCAN_TAGS
from cardioview.imaging.scan_reader import ScanHeader, read_scan_elements

WANTED = frozenset(int(t) for t in _SCAN_TAGS)
LAST = max(WANTED)


def _fast(path: Path):
    head = path.read_bytes()[:65536]
    return read_scan_elements(head, WANTED, LAST, whole_file=path.stat().st_size <= 65536)


def _agree(fast, reference) -> list[str]:
    return [
        keyword_for_tag(t)
        for t in _SCAN_TAGS
        if (text(fast, keyword_for_tag(t)), integer(fast, keyword_for_tag(t)))
        != (text(reference, keyword_for_tag(t)), integer(reference, keyword_for_tag(t)))
    ]


def test_fast_reader_agrees_with_pydicom_on_every_test_file():
    paths = sorted({Path(p) for p in get_testdata_files("*.dcm")})
    assert len(paths) > 50
    read = plain = 0
    with quiet_pydicom():
        for path in paths:
            fast = _fast(path)
            if fast is None:
                continue
            reference = pydicom.dcmread(path, stop_before_pixels=True)
            assert _agree(fast, reference) == [], path.name
            read += 1
            plain += isinstance(fast, ScanHeader)
    assert read > 100 and plain > 100  # nearly all of them take the fast path


def test_undefined_length_sequences_before_the_scan_tags_are_skipped(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.ReferencedImageSequence = pydicom.Sequence([pydicom.Dataset(), pydicom.Dataset()])
    ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2.3"
    path = tmp_path / "sequence.dcm"
    ds.save_as(path, enforce_file_format=True)
    raw = path.read_bytes()
    # Re-encode the sequence and its items with undefined lengths, as many modalities write them.
    defined = pydicom.dcmread(path)
    uid = b"\x08\x00\x55\x11UI\x06\x001.2.3\x00"  # (0008,1155) Referenced SOP Instance UID
    item_a = b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + uid + b"\xfe\xff\x0d\xe0" + bytes(4)
    item_b = b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + b"\xfe\xff\x0d\xe0" + bytes(4)
    start = raw.index(b"\x08\x00\x40\x11SQ")
    length = int.from_bytes(raw[start + 8 : start + 12], "little")
    encoded = b"\x08\x00\x40\x11SQ\x00\x00\xff\xff\xff\xff" + item_a + item_b + b"\xfe\xff\xdd\xe0" + bytes(4)
    path.write_bytes(raw[:start] + encoded + raw[start + 12 + length :])
    fast = _fast(path)
    assert isinstance(fast, ScanHeader)
    assert _agree(fast, defined) == []


def test_other_character_sets_are_converted_by_pydicom(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.SpecificCharacterSet = "ISO_IR 144"  # Cyrillic: left to pydicom's decoder
    ds.PatientName = "Иванов^Иван"
    path = tmp_path / "cyrillic.dcm"
    ds.save_as(path, enforce_file_format=True)
    fast = _fast(path)
    assert fast is not None and not isinstance(fast, ScanHeader)
    with quiet_pydicom():
        assert _agree(fast, pydicom.dcmread(path, stop_before_pixels=True)) == []
        scanned = read_dataset(path, stop_before_pixels=True, scan_tags=_SCAN_TAGS)
        assert text(scanned, "PatientName") == "Иванов^Иван"


def test_utf8_names_are_read_by_the_fast_reader(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Müller^Zoë"
    path = tmp_path / "utf8.dcm"
    ds.save_as(path, enforce_file_format=True)
    fast = _fast(path)
    assert isinstance(fast, ScanHeader) and text(fast, "PatientName") == "Müller^Zoë"

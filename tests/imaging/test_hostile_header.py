"""Issue 9, header classes: a sequence of 500,000 empty items and a Transfer Syntax UID stored as OB."""

from __future__ import annotations

import shutil

import pydicom
import pytest
from pydicom.data import get_testdata_file

from cardioview.errors import ImageLoadError
from cardioview.imaging import load, scan
from cardioview.imaging.dicom_items import check_item_count
from tests.imaging.hostile_files import deflated, many_items, transfer_syntax_as_ob

OB_REASON = "Transfer Syntax UID (0002,0010) is stored with VR OB instead of UI"


def _load_reason(path) -> str:
    with pytest.raises(ImageLoadError) as err:
        load(path)
    return str(err.value)


def _scan_folder(tmp_path, hostile):
    root = tmp_path / "incoming"
    root.mkdir()
    shutil.copy(get_testdata_file("CT_small.dcm"), root / "ok.dcm")
    shutil.copy(hostile, root / "hostile.dcm")
    index = scan(root)
    indexed = {e.path.name for p in index.patients for st in p.studies for se in st.series for e in se.images}
    return indexed, {e.path.name: e.reason for e in index.errors}


def test_reproducer_is_a_valid_dicom_with_the_items(tmp_path):
    small = many_items(tmp_path / "small.dcm", count=3)  # same builder, small enough for pydicom to read
    assert len(pydicom.dcmread(small).ReferencedImageSequence) == 3
    big = many_items(tmp_path / "big.dcm")
    assert big.stat().st_size > 8_000_000


def test_half_a_million_sequence_items_are_refused_by_load(tmp_path):
    reason = _load_reason(many_items(tmp_path / "items.dcm"))
    assert "DICOM file holds 500,002 sequence items (limit 100,000)" in reason  # + 2 items CT_small has
    assert "hostile or corrupt" in reason


def test_half_a_million_sequence_items_are_refused_by_the_scan(tmp_path):
    indexed, reasons = _scan_folder(tmp_path, many_items(tmp_path / "items.dcm"))
    assert indexed == {"ok.dcm"}
    assert "500,002 sequence items (limit 100,000)" in reasons["hostile.dcm"]


def test_deflated_items_are_counted_after_inflating(tmp_path):
    small = deflated(many_items(tmp_path / "small.dcm", count=3), tmp_path / "small_deflated.dcm")
    assert len(pydicom.dcmread(small).ReferencedImageSequence) == 3  # the deflated reproducer is valid
    assert load(small).pixels.shape == (128, 128)
    hostile = deflated(many_items(tmp_path / "items.dcm"), tmp_path / "deflated.dcm")
    assert hostile.stat().st_size < 1_000_000  # the raw bytes hide the items
    assert "500,002 sequence items (limit 100,000)" in _load_reason(hostile)
    indexed, reasons = _scan_folder(tmp_path, hostile)
    assert indexed == {"ok.dcm"}
    assert "500,002 sequence items (limit 100,000)" in reasons["hostile.dcm"]


def test_a_sequence_under_the_limit_still_loads(tmp_path):
    path = many_items(tmp_path / "items.dcm", count=1000)
    check_item_count(path)
    assert load(path).pixels.shape == (128, 128)


def test_item_limit_counts_tags_across_read_chunks(tmp_path):
    path = tmp_path / "items.bin"
    # Item tags placed to straddle every 4 MB chunk boundary must each be counted once.
    tag = b"\xfe\xff\x00\xe0"
    chunk = 4 << 20
    data = bytearray(chunk * 3)
    for boundary in (chunk, 2 * chunk):
        data[boundary - 2 : boundary + 2] = tag
    path.write_bytes(bytes(data))
    check_item_count(path, limit=2)
    with pytest.raises(ImageLoadError, match="holds 2 sequence items"):
        check_item_count(path, limit=1)


def test_transfer_syntax_stored_as_ob_is_named_by_load(tmp_path):
    path = transfer_syntax_as_ob(tmp_path / "ts.dcm")
    assert pydicom.dcmread(path).file_meta["TransferSyntaxUID"].VR == "OB"  # the reproducer is what it claims
    assert OB_REASON in _load_reason(path)


def test_transfer_syntax_stored_as_ob_is_named_by_the_scan(tmp_path):
    indexed, reasons = _scan_folder(tmp_path, transfer_syntax_as_ob(tmp_path / "ts.dcm"))
    assert indexed == {"ok.dcm"}
    assert OB_REASON in reasons["hostile.dcm"]

"""Reads bounded by what the header needs (issue 21, item 6): endless, sparse and forged-length files."""

from __future__ import annotations

import io

import pytest

from cardioview.errors import ImageLoadError
from cardioview.imaging import load, scan
from cardioview.imaging.bounded_read import BoundedReader, TooManyReads
from cardioview.imaging.dicom_items import check_item_count
from tests.imaging.hostile_files import endless_link, forged_pixel_length, many_items, sparse_copy


def test_bounded_reader_ends_at_its_limit_and_says_it_cut():
    reader = BoundedReader(io.BytesIO(bytes(100)), 40)
    assert len(reader.read(30)) == 30 and len(reader.read(30)) == 10 and reader.read(5) == b""
    assert reader.cut
    whole = BoundedReader(io.BytesIO(bytes(10)), 40)
    assert len(whole.read()) == 10 and not whole.cut  # a file shorter than the limit is read whole
    with pytest.raises(TooManyReads):
        tiny = BoundedReader(io.BytesIO(bytes(100)), 100, max_reads=3)
        for _ in range(4):
            tiny.read(1)


def test_endless_file_is_refused_at_once(tmp_path):
    link = endless_link(tmp_path / "endless.dcm")
    if link is None:
        pytest.skip("no /proc/self/pagemap here")
    with pytest.raises(ImageLoadError, match="no DICOM data"):
        load(link)


def test_sparse_20_gb_copy_is_read_up_to_its_pixel_data(tmp_path):
    path = sparse_copy(tmp_path / "sparse.dcm")
    if path is None:
        pytest.skip("this file system does not store sparse files")
    xray = load(path)
    assert xray.pixels.shape == (64, 64) and xray.metadata.modality == "MR"


def test_forged_pixel_data_length_is_refused_before_it_is_read(tmp_path):
    path = forged_pixel_length(tmp_path / "forged_length.dcm")
    if path is None:
        pytest.skip("this file system does not store sparse files")
    with pytest.raises(ImageLoadError, match="Pixel Data declares 4,294,967,280 bytes"):
        load(path)


def test_scan_lists_endless_and_sparse_files_without_reading_them_whole(tmp_path):
    link, sparse = endless_link(tmp_path / "endless.dcm"), sparse_copy(tmp_path / "sparse.dcm")
    if link is None or sparse is None:
        pytest.skip("needs /proc/self/pagemap and sparse files")
    index = scan(tmp_path)
    assert [e.path.name for e in index.images()] == ["sparse.dcm"]
    assert [(e.path.name, "no DICOM data" in e.reason) for e in index.errors] == [("endless.dcm", True)]


def test_item_count_reads_only_the_header_prefix(tmp_path):
    path = many_items(tmp_path / "items.dcm", count=1000)
    with pytest.raises(ImageLoadError, match="sequence items"):
        check_item_count(path, limit=10)
    check_item_count(path, limit=10, scanned=256)  # the items lie past the first 256 bytes

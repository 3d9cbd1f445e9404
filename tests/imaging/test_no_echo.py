"""Reasons never echo a file's content (issue 21, item 8): library messages lose their quoted values."""

from __future__ import annotations

import io

from PIL import Image

from cardioview.errors import ImageLoadError
from cardioview.imaging import load
from cardioview.imaging.detail import library_detail
from tests.dicom_factory import nih_image


def _reason(path) -> str:
    try:
        load(path)
    except ImageLoadError as exc:
        return exc.reason
    raise AssertionError(f"{path} loaded")


def test_library_messages_lose_quoted_values_and_object_reprs():
    try:
        float("SMITH^JOHN")
    except ValueError as exc:
        assert library_detail(exc) == "could not convert string to float: …"
    error = SyntaxError("broken PNG file (chunk b'SM\\x01T')")
    assert library_detail(error) == "broken PNG file (chunk …)"
    assert (
        library_detail(OSError("cannot identify image file <_io.BufferedReader name='/x/SMITH.png'>"))
        == "cannot identify image file"
    )
    assert library_detail(ValueError("Bits Stored 12 doesn't fit")) == "Bits Stored 12 doesn't fit"


def test_corrupt_png_and_text_files_are_refused_without_quoting_them(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(nih_image()[:256, :256]).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    at = data.find(b"IDAT")
    data[at : at + 4] = b"SM\x01T"  # an unknown critical chunk where the image data was
    (tmp_path / "broken.png").write_bytes(bytes(data))
    (tmp_path / "letter.dcm").write_bytes(b"\x01\x02Dear Dr SMITH, patient JOHN DOE ...\n" * 10)
    for name in ("broken.png", "letter.dcm"):
        reason = _reason(tmp_path / name)
        assert "SM" not in reason.replace("SMALL", "") and "JOHN" not in reason and "01 02" not in reason, reason
        assert "<" not in reason and "tmp" not in reason, reason

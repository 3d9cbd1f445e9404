"""Section 1 of issue 9: a native decoder crash costs one file a reason, never the caller."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pydicom
import pytest
from pydicom.data import get_testdata_file

from cardioview.errors import ImageLoadError
from cardioview.imaging import load
from cardioview.imaging.decode_worker import DecodeFailure, DecodeWorker, pixel_dataset, shared_worker
from tests.imaging.hostile_files import CRASHERS, edited

_ABORTERS = ("j2k_rgb", "jpegls_rows", "jpeg_bits3", "jpeg_alloc32")


def _bare_decode_exit_code(path) -> tuple[int, str]:
    """Decode in a plain interpreter, no isolation: what the loader used to do."""
    code = textwrap.dedent(f"""
        import pydicom
        from pydicom.pixels import get_decoder
        ds = pydicom.dcmread({str(path)!r})
        try:
            get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds, index=0)
        except Exception as exc:
            print("Exception", type(exc).__name__)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("name", _ABORTERS)
def test_crasher_really_aborts_a_bare_decode(tmp_path, name):
    src, edit = CRASHERS[name]
    code, output = _bare_decode_exit_code(edited(src, tmp_path / f"{name}.dcm", edit))
    assert code == -6, output  # SIGABRT from a gdcm C++ exception


def test_rle_panic_is_a_base_exception_in_a_bare_decode(tmp_path):
    src, edit = CRASHERS["rle_rows16"]
    code, output = _bare_decode_exit_code(edited(src, tmp_path / "rle.dcm", edit))
    assert code == 1 and "PanicException" in output and "Exception PanicException" not in output


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_load_gives_each_crasher_a_reason_and_lives(tmp_path, name):
    src, edit = CRASHERS[name]
    path = edited(src, tmp_path / f"{name}.dcm", edit)
    with pytest.raises(ImageLoadError) as err:
        load(path)
    reason = str(err.value)
    assert reason.startswith(f"{name}.dcm: ")
    assert "could not read the image" not in reason  # never the generic last resort
    # The next good file still decodes (the worker was restarted if it died).
    assert load(get_testdata_file("JPEG2000.dcm")).pixels.shape == (1024, 256)


def test_crash_through_load_names_the_decoder(tmp_path):
    src, edit = CRASHERS["jpeg_alloc32"]
    path = edited(src, tmp_path / "forged.dcm", edit)
    restarts = shared_worker().restarts
    with pytest.raises(ImageLoadError, match="the JPEG decoder crashed on this file"):
        load(path)
    assert shared_worker().restarts == restarts + 1
    assert load(get_testdata_file("SC_rgb_jpeg_dcmtk.dcm")).pixels.shape == (100, 100)


@pytest.mark.parametrize(
    "name,reason",
    [
        ("j2k_rgb", "Photometric Interpretation RGB does not fit 1 sample"),
        ("jpegls_rows", "JPEG-LS codestream is 10x50 px but the DICOM header (Rows/Columns) says 10x65534"),
        ("jpeg_bits3", "stores 8-bit samples but Bits Stored is 3"),
        ("rle_as_jpeg", "the transfer syntax says JPEG but the pixel data is not a JPEG codestream"),
    ],
)
def test_header_checks_refuse_before_any_decoder_runs(tmp_path, name, reason):
    src, edit = CRASHERS[name]
    restarts = shared_worker().restarts
    with pytest.raises(ImageLoadError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        load(edited(src, tmp_path / f"{name}.dcm", edit))
    assert shared_worker().restarts == restarts


def test_rust_panic_is_caught_in_the_worker(tmp_path):
    src, edit = CRASHERS["rle_rows16"]
    with pytest.raises(
        ImageLoadError, match="the RLE decoder failed on this file .internal error: index out of bounds"
    ):
        load(edited(src, tmp_path / "rle.dcm", edit))


def test_worker_restarts_after_a_crash_and_decodes_the_next_file():
    worker = DecodeWorker()
    try:
        ds = pydicom.dcmread(get_testdata_file("JPEG2000.dcm"))
        ds.PhotometricInterpretation = "RGB"  # bypasses the header checks: straight to the decoders
        failure = worker.decode(pixel_dataset(ds))
        assert failure == DecodeFailure("crashed", "signal 6")
        good = pydicom.dcmread(get_testdata_file("JPEG2000.dcm"))
        frame, photometric = worker.decode(pixel_dataset(good))
        assert (frame == good.pixel_array).all() and photometric == "MONOCHROME2"
        assert worker.restarts == 1
    finally:
        worker.close()


def test_worker_times_out_and_is_replaced():
    worker = DecodeWorker(timeout_s=0.001)
    try:
        ds = pixel_dataset(pydicom.dcmread(get_testdata_file("JPEG2000.dcm")))
        results = [worker.decode(ds) for _ in range(3)]
        assert any(isinstance(r, DecodeFailure) and r.kind == "timeout" for r in results)
    finally:
        worker.close()

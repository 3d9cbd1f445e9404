"""Rebuild the compressed DICOMs of ``CardioView --self-test`` (see SOURCES.md).

Each file is a lossless re-encoding of ``resources/samples/rg1_cr_chest_pa_monochrome1.dcm``,
so the self-test can demand that every decoder returns exactly the sample's stored values.
Run from the repository root with the project's environment:

    python resources/selftest/make_selftest_inputs.py

Encoders: JPEG 2000 lossless with pylibjpeg-openjpeg, JPEG-LS lossless with pyjpegls
(both through pydicom 3's ``Dataset.compress``), JPEG lossless SV1 with python-gdcm
(pydicom has no encoder for it). Deterministic: UIDs derive from fixed strings.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import JPEG2000Lossless, JPEGLosslessSV1, JPEGLSLossless, generate_uid

from cardioview.atomic import atomic_write_bytes

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "samples" / "rg1_cr_chest_pa_monochrome1.dcm"

#: output name -> (transfer syntax, encoder)
OUTPUTS = {
    "rg1_cr_jpeg2000_lossless.dcm": (JPEG2000Lossless, "pylibjpeg"),
    "rg1_cr_jpegls_lossless.dcm": (JPEGLSLossless, "pyjpegls"),
    "rg1_cr_jpeg_lossless_sv1.dcm": (JPEGLosslessSV1, "gdcm"),
}


def _derive(ds: pydicom.Dataset, name: str) -> None:
    def uid(role: str) -> str:
        return generate_uid(entropy_srcs=["cardioview-selftest", name, role])

    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid("sop")
    ds.SeriesInstanceUID = uid("series")
    ds.ImageComments = (
        f"CardioView self-test input: lossless {ds.file_meta.TransferSyntaxUID.name} "
        "re-encoding of rg1_cr_chest_pa_monochrome1.dcm"
    )
    ds.file_meta.ImplementationVersionName = "CARDIOVIEW"


def _gdcm_jpeg_lossless(source: Path, target: Path) -> None:
    import gdcm

    reader = gdcm.ImageReader()
    reader.SetFileName(str(source))
    if not reader.Read():
        raise SystemExit(f"{source}: gdcm cannot read it")
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise SystemExit("gdcm could not encode JPEG lossless")
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(target))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    if not writer.Write():
        raise SystemExit(f"{target}: gdcm could not write it")


def make(name: str, tmp: Path) -> bytes:
    """The bytes of one self-test DICOM, checked to decode to the sample's exact stored values."""
    syntax, encoder = OUTPUTS[name]
    reference = pydicom.dcmread(SOURCE).pixel_array
    if encoder == "gdcm":
        encoded = tmp / f"gdcm_{name}"
        _gdcm_jpeg_lossless(SOURCE, encoded)
        ds = pydicom.dcmread(encoded)
    else:
        ds = pydicom.dcmread(SOURCE)
        ds.compress(syntax, encoding_plugin=encoder)
    if ds.file_meta.TransferSyntaxUID != syntax:
        raise SystemExit(f"{name}: encoded as {ds.file_meta.TransferSyntaxUID.name}, not {syntax.name}")
    _derive(ds, name)
    out = tmp / name
    ds.save_as(out, enforce_file_format=True)
    if not np.array_equal(pydicom.dcmread(out).pixel_array, reference):
        raise SystemExit(f"{name}: the re-encoding is not lossless")
    return out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in OUTPUTS:
            data = make(name, Path(tmp))
            atomic_write_bytes(args.out / name, data, overwrite=True)
            print(f"{name}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()

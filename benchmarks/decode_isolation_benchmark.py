"""Added cost per image of decoding compressed DICOM in the supervised worker.

Measures, in one run and on the same files: (a) the bare in-process decode
(what the loader did before issue 9) and (b) the header checks + worker round
trip (what ``load`` does now), and prints the ratio and the added ms per image;
then the whole ``load`` per file for context.

    python benchmarks/decode_isolation_benchmark.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import bench_common  # noqa: F401  (puts the repository on sys.path)
import pydicom
from pydicom.data import get_testdata_file

from cardioview.imaging import load
from cardioview.imaging.codestream import check_against_header, codec_family, first_fragment, read_frame_header
from cardioview.imaging.decode_worker import decode_in_process, pixel_dataset, shared_worker

FILES = [
    ("RG1_J2KR.dcm", None),
    ("RG1_J2KI.dcm", None),
    ("JPEG2000.dcm", None),
    ("JPEGLSNearLossless_16.dcm", None),
    ("SC_rgb_jpeg_dcmtk.dcm", None),
    ("emri_small_RLE.dcm", None),
]
SELFTEST = ["rg1_cr_jpeg2000_lossless.dcm", "rg1_cr_jpeg_lossless_sv1.dcm", "rg1_cr_jpegls_lossless.dcm"]


def _paths() -> list[str]:
    paths = [get_testdata_file(name) for name, _ in FILES]
    paths += [str(bench_common.REPO / "resources" / "selftest" / name) for name in SELFTEST]
    return [p for p in paths if p]


def _isolated(path: str, ds) -> None:
    family = codec_family(ds.file_meta.TransferSyntaxUID)
    check_against_header(path, ds, read_frame_header(path, family, first_fragment(path, ds.PixelData)))
    result = shared_worker().decode(pixel_dataset(ds))
    assert isinstance(result, tuple), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    shared_worker().decode(pixel_dataset(pydicom.dcmread(get_testdata_file("JPEG2000.dcm"))))
    print(f"worker start-up (once per process): {1000 * (time.perf_counter() - start):.0f} ms")
    print(f"{'file':34} {'pixels':>11} {'in-process ms':>14} {'isolated ms':>12} {'ratio':>6} {'load ms':>8}")
    total_bare = total_iso = 0.0
    for path in _paths():
        ds = pydicom.dcmread(path)
        bare, iso, loads = [], [], []
        for _ in range(args.repeat):  # interleaved, so background load hits both alike
            t = time.perf_counter()
            decode_in_process(ds)
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            _isolated(path, ds)
            iso.append(time.perf_counter() - t)
            t = time.perf_counter()
            load(path)
            loads.append(time.perf_counter() - t)
        b, i, ld = (1000 * statistics.median(x) for x in (bare, iso, loads))
        total_bare += b
        total_iso += i
        name = path.rsplit("/", 1)[-1]
        print(f"{name:34} {ds.Rows * ds.Columns:>11,} {b:>14.1f} {i:>12.1f} {i / b:>6.2f} {ld:>8.1f}")
    n = len(_paths())
    print(
        f"overall: isolated / in-process = {total_iso / total_bare:.2f}x; "
        f"added {(total_iso - total_bare) / n:.1f} ms per image (median of {args.repeat}, {n} files)"
    )


if __name__ == "__main__":
    main()

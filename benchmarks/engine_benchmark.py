"""Engine benchmark: ratios measured in one run on the same images.

(a) end-to-end predict latency per image (load + preprocess + forward) vs the bare
    backend forward, at the bundle's training size (target overhead <= 1.3x);
(b) ONNX Runtime vs torch CPU forward at 224 px, batch 1;
(c) folder scan rate on 1,000 DICOM headers, median of 5 scans (target >= 1,000 files/s).

Usage: python benchmarks/engine_benchmark.py [--weights BUNDLE] [--repeats N] [--scan-only]
Without --weights it uses the shipped bundle, or a randomly initialised 224 px one.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_common import REPO, bundle_path  # benchmarks/ is on sys.path when run as a script


def paired_median_ms(fns, repeats: int) -> list[float]:
    """Median ms of each function, run interleaved so load drift hits all of them alike."""
    for fn in fns:
        fn()  # warm-up
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            t = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - t) * 1000)
    return [statistics.median(b) for b in times]


def benchmark_images(tmp: Path) -> list[Path]:
    nih = REPO.parent / "shared" / "data" / "nih1024" / "images"
    if nih.is_dir():
        return sorted(nih.glob("*.png"))[:6]
    from cardioview.resources import samples_dir

    return sorted(p for p in samples_dir().iterdir() if p.suffix.lower() in (".png", ".dcm"))


def scan_rate(tmp: Path, count: int = 1000, repeats: int = 5) -> tuple[float, int]:
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    from cardioview.imaging import scan

    folder = tmp / "dicoms"
    folder.mkdir()
    source = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for i in range(count):
        source.PatientID = f"P{i % 50:03d}"
        source.StudyInstanceUID = f"1.2.3.{i % 50}"
        source.SeriesInstanceUID = f"1.2.3.{i % 50}.{i % 3}"
        source.SOPInstanceUID = generate_uid()
        source.InstanceNumber = i
        source.save_as(folder / f"img_{i:04d}.dcm")
    rates = []
    for _ in range(repeats):  # the machine may be shared: the median of a few scans
        t = time.perf_counter()
        index = scan(folder)
        rates.append(count / (time.perf_counter() - t))
    return statistics.median(rates), sum(1 for _ in index.images())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--scan-only", action="store_true", help="only (c), the folder scan")
    args = parser.parse_args()
    if args.scan_only:
        with tempfile.TemporaryDirectory() as tmpdir:
            rate, found = scan_rate(Path(tmpdir))
        print(
            f"(c) folder scan: {rate:,.0f} DICOM headers/s on 1,000 files, median of 5 scans "
            f"({found} images indexed; target >= 1,000/s)"
        )
        return 0

    from cardioview.imaging import load
    from cardioview.inference.predictor import Predictor
    from cardioview.inference.preprocess import preprocess

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        bundle = bundle_path(args.weights, tmp)
        images = benchmark_images(tmp)
        onnx = Predictor(bundle, backend="onnx", device="cpu")
        torch_predictor = Predictor(bundle, backend="torch", device="cpu")
        size = onnx.spec.input_size
        print(f"bundle {onnx.model_id}, input {size} px, {len(images)} images, median of {args.repeats} runs each")

        xrays = [load(p) for p in images]
        batches = [preprocess(x.pixels, onnx.spec) for x in xrays]
        bare, end_to_end = (
            ms / len(images)
            for ms in paired_median_ms(
                [lambda: [onnx.backend.run(b) for b in batches], lambda: [onnx.predict(load(p)) for p in images]],
                args.repeats,
            )
        )
        print(
            f"(a) end-to-end predict (load+preprocess+forward): {end_to_end:.1f} ms/image; "
            f"bare ONNX forward {bare:.1f} ms/image; overhead {end_to_end / bare:.2f}x (target <= 1.5x)"
            + (" [includes the heart/lung segmenter's own forward]" if onnx.anatomy is not None else "")
        )
        if onnx.anatomy is not None:
            # the same without the segmenter: the classifier's own path (load + preprocessing + forward)
            alone = Predictor(bundle, backend="onnx", device="cpu", anatomy=False)
            loaded = [load(p) for p in images]
            bare, classifier, no_load = (
                ms / len(images)
                for ms in paired_median_ms(
                    [
                        lambda: [onnx.backend.run(b) for b in batches],
                        lambda: [alone.predict(load(p)) for p in images],
                        lambda: [alone.predict(x) for x in loaded],
                    ],
                    args.repeats,
                )
            )
            print(
                f"(a') classifier only, no segmenter: {classifier:.1f} ms/image = {classifier / bare:.2f}x the bare "
                f"forward ({bare:.1f} ms); without the file decode {no_load:.1f} ms = {no_load / bare:.2f}x"
            )

        batch = batches[0]
        onnx_ms, torch_ms = paired_median_ms(
            [lambda: onnx.backend.run(batch), lambda: torch_predictor.backend.run(batch)], args.repeats
        )
        print(
            f"(b) forward at {size} px, batch 1: ONNX Runtime {onnx_ms:.1f} ms, torch CPU {torch_ms:.1f} ms; "
            f"torch/ONNX = {torch_ms / onnx_ms:.2f}x"
        )

        rate, found = scan_rate(tmp)
        print(
            f"(c) folder scan: {rate:,.0f} DICOM headers/s on 1,000 files, median of 5 scans "
            f"({found} images indexed; target >= 1,000/s)"
        )
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Engine benchmark: ratios measured in one run on the same images.

(a) end-to-end predict latency per image, ``Predictor.predict(load(path))`` (file decode + preprocessing +
    the classifier's forward + the heart/lung segmenter's preprocessing, forward and CTR), against the bare
    ONNX forward of the classifier and against the sum of the bare forwards of the models predict runs
    (classifier + segmenter); then the classifier alone (anatomy=False), with and without the file decode.
    Both for NIH's 1024 px 8-bit PNGs and for real-size 16-bit DICOMs (2,500x2,048, made from nih1024 films
    as tests/inference/test_thumbnail_fidelity.py does). Every figure of a line is timed interleaved with the
    others (paired), median of --repeats runs. Target: end-to-end <= 1.5x.
    Then the throughput of a batch with the next file decoded on a second thread while the current one is
    analysed (what a batch run can gain; the per-image latency is the line above).
(b) ONNX Runtime vs torch CPU forward at the bundle's size, batch 1;
(c) folder scan rate on 1,000 DICOM headers, median of 5 scans (target >= 1,000 files/s).

Usage: python benchmarks/engine_benchmark.py [--weights BUNDLE] [--repeats N] [--predict-only] [--scan-only]
Without --weights it uses the shipped bundle, or a randomly initialised 224 px one.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
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


def detector_dicoms(films: list[Path], folder: Path, count: int = 3) -> list[Path]:
    """16-bit 2,500x2,048 DICOMs made from 8-bit films (bicubic upsample x 257), a CR/DX detector's geometry."""
    from PIL import Image

    from tests.dicom_factory import write_dicom

    folder.mkdir()
    made = []
    for i, film in enumerate(films[:count]):
        with Image.open(film) as picture:
            gray = np.asarray(picture.convert("L"), dtype=np.float32)
        large = np.asarray(Image.fromarray(gray, mode="F").resize((2048, 2500), Image.Resampling.BICUBIC))
        stored = np.clip(np.rint(large * 257.0), 0, 65535).astype(np.uint16)
        made.append(write_dicom(folder / f"detector_{i}.dcm", stored, bits_stored=16, view="PA"))
    return made


def predict_overhead(label: str, files: list[Path], full, alone, repeats: int) -> None:
    """(a) for one kind of file: end-to-end predict against the bare forwards, paired."""
    from cardioview.imageops import to_uint8
    from cardioview.imaging import load
    from cardioview.inference.preprocess import prepare_gray, preprocess, to_batch

    xrays = [load(p) for p in files]
    batches = [preprocess(x.pixels, full.spec) for x in xrays]
    fns = [
        lambda: [full.backend.run(b) for b in batches],
        lambda: [full.predict(load(p)) for p in files],
        lambda: [alone.predict(load(p)) for p in files],
        lambda: [alone.predict(x) for x in xrays],
    ]
    segmenter = full.anatomy
    if segmenter is not None:
        size = (segmenter.spec.input_size,) * 2
        masks_in = [to_batch(prepare_gray(x.pixels, segmenter.spec, size, to_uint8(x.pixels)), 1) for x in xrays]
        fns.append(lambda: [segmenter.session.run(None, {"image": b}) for b in masks_in])
    ms = [t / len(files) for t in paired_median_ms(fns, repeats)]
    classifier, end_to_end, alone_ms, no_load = ms[:4]
    shape = "x".join(str(n) for n in xrays[0].shape)
    print(f"(a) {label} ({len(files)} files, {shape} px), median of {repeats} interleaved runs:")
    if segmenter is not None:
        forwards = classifier + ms[4]
        print(
            f"    end-to-end predict(load(path)) {end_to_end:.1f} ms/image = {end_to_end / classifier:.2f}x the bare "
            f"classifier forward ({classifier:.1f} ms) = {end_to_end / forwards:.2f}x the bare forwards of the models "
            f"predict runs (classifier + segmenter {ms[4]:.1f} ms = {forwards:.1f} ms); target <= 1.5x"
        )
    else:
        print(f"    no segmenter shipped: end-to-end {end_to_end:.1f} ms = {end_to_end / classifier:.2f}x the forward")
    print(
        f"    classifier only (anatomy=False): {alone_ms:.1f} ms/image = {alone_ms / classifier:.2f}x the bare "
        f"forward; without the file decode {no_load:.1f} ms = {no_load / classifier:.2f}x"
    )
    serial, prefetched = (
        t / len(files)
        for t in paired_median_ms(
            [lambda: [full.predict(load(p)) for p in files], lambda: predict_with_prefetch(full, files)], repeats
        )
    )
    print(
        f"    batch throughput: {serial:.1f} ms/image one after another, {prefetched:.1f} ms/image with the next "
        f"file decoded on a second thread ({serial / prefetched:.2f}x; per-image latency stays as above)"
    )


def predict_with_prefetch(predictor, files: list[Path]) -> list:
    """Analyse files in order while a second thread decodes the next one (Pillow, pydicom and ONNX Runtime
    release the GIL in their C parts)."""
    from cardioview.imaging import load

    results = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(load, files[0])
        for following in [*files[1:], None]:
            xray = pending.result()
            if following is not None:
                pending = pool.submit(load, following)
            results.append(predictor.predict(xray))
    return results


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
    parser.add_argument("--predict-only", action="store_true", help="only (a), the predict overhead")
    parser.add_argument("--scan-only", action="store_true", help="only (c), the folder scan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if not args.scan_only:
            benchmark_models(tmp, args)
        if not args.predict_only:
            rate, found = scan_rate(tmp)
            print(
                f"(c) folder scan: {rate:,.0f} DICOM headers/s on 1,000 files, median of 5 scans "
                f"({found} images indexed; target >= 1,000/s)"
            )
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def benchmark_models(tmp: Path, args: argparse.Namespace) -> None:
    from cardioview.inference.predictor import Predictor
    from cardioview.inference.preprocess import preprocess

    bundle = bundle_path(args.weights, tmp)
    images = benchmark_images(tmp)
    onnx = Predictor(bundle, backend="onnx", device="cpu")
    alone = Predictor(bundle, backend="onnx", device="cpu", anatomy=False)
    print(f"bundle {onnx.model_id}, input {onnx.spec.input_size} px")
    predict_overhead("8-bit PNG films", images, onnx, alone, args.repeats)
    pngs = [p for p in images if p.suffix.lower() == ".png"]
    if pngs:
        predict_overhead("16-bit DICOMs", detector_dicoms(pngs, tmp / "detector"), onnx, alone, args.repeats)
    if args.predict_only:
        return

    from cardioview.imaging import load

    torch_predictor = Predictor(bundle, backend="torch", device="cpu", anatomy=False)
    batch = preprocess(load(images[0]).pixels, onnx.spec)
    onnx_ms, torch_ms = paired_median_ms(
        [lambda: onnx.backend.run(batch), lambda: torch_predictor.backend.run(batch)], args.repeats
    )
    print(
        f"(b) forward at {onnx.spec.input_size} px, batch 1: ONNX Runtime {onnx_ms:.1f} ms, torch CPU "
        f"{torch_ms:.1f} ms; torch/ONNX = {torch_ms / onnx_ms:.2f}x"
    )


if __name__ == "__main__":
    sys.exit(main())

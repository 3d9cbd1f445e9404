"""Listener benchmark: images analysed per second by ``cardioview listen`` vs ``cardioview predict``, same files,
one run.

The files are real chest films (pydicom-data's RG1_UNCR at half size, new SOP Instance UIDs each).
predict: `cardioview predict FILES --no-report` (in-process, wall time of the whole command).
listen: a Listener on loopback, the files sent over one C-STORE association; time from the first
send to the last results.csv row. Ratio = listener rate / predict rate (1.0 = no network overhead).
``--dicom-results`` also writes the SC + SR per image on both sides (predict --dicom-out).

Usage: python benchmarks/listener_benchmark.py [--images N] [--weights BUNDLE] [--dicom-results]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

from bench_common import bundle_path  # benchmarks/ is on sys.path when run as a script


def make_films(folder: Path, count: int) -> list[Path]:
    from tests.network.films import downsized_copy, rg1_uncr

    folder.mkdir(parents=True)
    return [downsized_copy(rg1_uncr(), folder / f"film_{i:04d}.dcm", factor=2) for i in range(count)]


def time_predict(files: list[Path], weights: Path, out: Path, dicom: bool) -> float:
    from cardioview.cli import main

    argv = ["predict", *map(str, files), "--out", str(out), "--weights", str(weights), "--no-report"]
    if dicom:
        argv += ["--dicom-out", str(out / "dicom")]
    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"predict failed (exit {code})")
    return elapsed


def time_listener(files: list[Path], weights: Path, out: Path, dicom: bool) -> float:
    import pydicom

    from cardioview.inference.predictor import Predictor
    from cardioview.network import dimse
    from cardioview.network.listener import Listener, ListenerOptions
    from cardioview.network.nodes import Node

    datasets = [pydicom.dcmread(f) for f in files]  # read before the clock: predict reads its own files too
    listener = Listener(Predictor(weights), out, ListenerOptions(port=0, host="127.0.0.1", dicom_results=dicom))
    listener.start()
    try:
        start = time.perf_counter()
        dimse.store(
            Node(name="listener", ae_title="CARDIOVIEW", host="127.0.0.1", port=listener.port), datasets, timeout=600
        )
        if not listener.wait_idle(len(files), timeout=3600):
            raise SystemExit("the listener did not finish")
        elapsed = time.perf_counter() - start
    finally:
        listener.stop()
    if listener.counts["ok"] != len(files):
        raise SystemExit(f"listener analysed {listener.counts['ok']} of {len(files)}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--weights")
    parser.add_argument("--dicom-results", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        weights = bundle_path(args.weights, tmp)
        files = make_films(tmp / "films", args.images)
        time_predict(files[:2], weights, tmp / "warm", False)  # warm the caches and ONNX Runtime once
        predict_s = time_predict(files, weights, tmp / "predict", args.dicom_results)
        listen_s = time_listener(files, weights, tmp / "listen", args.dicom_results)
    n = len(files)
    print(f"{n} films ({'with SC + SR' if args.dicom_results else 'results.csv only'})")
    print(f"predict : {n / predict_s:6.2f} images/s ({predict_s:.1f} s)")
    print(f"listener: {n / listen_s:6.2f} images/s ({listen_s:.1f} s, received over DIMSE)")
    print(f"ratio listener/predict = {(n / listen_s) / (n / predict_s):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

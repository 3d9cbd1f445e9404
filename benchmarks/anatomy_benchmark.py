"""The segmenter's added time per image as a ratio to the classifier's (target <= 0.5x).

    python benchmarks/anatomy_benchmark.py [--image PATH] [--repeats 20]

All on ONNX Runtime, same thread settings, interleaved so background load hits
each alike. "Classifier" = Predictor without the segmenter (preprocess + forward);
"with segmenter" = the same Predictor call with it (one shared equalisation, the
segmenter's forward, blobs, quality check and CTR on its output grid): the
difference is what a user pays for the CTR. The segmenter alone
(AnatomyRunner.segment, doing its own preprocessing) is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import time

import bench_common  # noqa: F401  (puts the repository on sys.path)

from cardioview.imaging.loader import load
from cardioview.inference.anatomy_runner import AnatomyRunner
from cardioview.inference.predictor import Predictor
from cardioview.resources import samples_dir


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--image", default=str(samples_dir() / "nih_00000001_000_cardiomegaly.png"))
    p.add_argument("--anatomy-weights", default="weights/cxr_anatomy")
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    xray = load(a.image)
    runner = AnatomyRunner(a.anatomy_weights)
    alone, both = Predictor(anatomy=False), Predictor(anatomy=a.anatomy_weights)
    for _ in range(3):  # warm-up
        alone.predict(xray), both.predict(xray), runner.segment(xray)
    cls, full, seg, fwd = [], [], [], []
    for _ in range(a.repeats):
        for predictor, times in ((alone, cls), (both, full)):
            t = time.perf_counter()
            predictor.predict(xray)
            times.append(time.perf_counter() - t)  # noqa: E702
        t = time.perf_counter()
        runner.segment(xray)
        seg.append(time.perf_counter() - t)  # noqa: E702
        t = time.perf_counter()
        runner.probabilities(xray.pixels)
        fwd.append(time.perf_counter() - t)  # noqa: E702
    c, b, s, f = (statistics.median(v) * 1000 for v in (cls, full, seg, fwd))
    print(f"image {xray.shape[1]}x{xray.shape[0]}, {a.repeats} repeats, medians; segmenter {runner.model_id}")
    print(f"classifier (Predictor without the segmenter): {c:.1f} ms; with the segmenter: {b:.1f} ms")
    print(f"segmenter alone: {s:.1f} ms (its preprocess + forward {f:.1f} ms)")
    print(f"added time ratio: {(b - c) / c:.2f}x (target <= 0.5x); segmenter-alone ratio {s / c:.2f}x")


if __name__ == "__main__":
    main()

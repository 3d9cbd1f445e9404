"""The segmenter's added time per image as a ratio to the classifier's forward (target <= 0.5x).

    python benchmarks/anatomy_benchmark.py [--image PATH] [--repeats 20]

Both on ONNX Runtime, same thread settings, interleaved so background load hits
both alike. "Classifier" = preprocess + forward (Predictor without the segmenter);
"segmenter" = AnatomyRunner.segment (preprocess, forward, masks at the image's
size, quality check, CTR).
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
    predictor = Predictor(anatomy=False)
    runner = AnatomyRunner(a.anatomy_weights)
    predictor.predict(xray), runner.segment(xray)  # warm-up
    cls, seg, fwd = [], [], []
    for _ in range(a.repeats):
        t = time.perf_counter(); predictor.predict(xray); cls.append(time.perf_counter() - t)  # noqa: E702
        t = time.perf_counter(); runner.segment(xray); seg.append(time.perf_counter() - t)  # noqa: E702
        t = time.perf_counter(); runner.probabilities(xray.pixels); fwd.append(time.perf_counter() - t)  # noqa: E702
    c, s, f = (statistics.median(v) * 1000 for v in (cls, seg, fwd))
    print(f"image {xray.shape[1]}x{xray.shape[0]}, {a.repeats} repeats, medians")
    print(f"classifier preprocess+forward: {c:.1f} ms")
    print(f"segmenter total (forward + masks at image size + QC + CTR): {s:.1f} ms; its preprocess+forward alone {f:.1f} ms")
    print(f"added time ratio: {s / c:.2f}x (target <= 0.5x); forward-only ratio {f / c:.2f}x")


if __name__ == "__main__":
    main()

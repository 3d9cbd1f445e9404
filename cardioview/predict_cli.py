"""``cardioview predict``: analyse files and folders, write results.csv and annotated reports.

Every input gets one row in results.csv; a bad file gets status ``error`` and a
one-line reason, and the run goes on. Nothing is written next to the inputs.
Exit codes: 0 every input gave a result, 1 some failed, 2 bad usage or unusable weights.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from cardioview import __version__
from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.errors import CardioViewError
from cardioview.inputs import collect_inputs

log = logging.getLogger("cardioview.predict")

RESULT_COLUMNS = ("path", "status", "probability", "threshold", "label", "model", "elapsed_ms", "warnings", "error")


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders (recursive); default: the bundled sample X-rays")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for results.csv and the reports")
    parser.add_argument("--weights", metavar="BUNDLE", help="weights bundle folder (default: the shipped weights)")
    parser.add_argument("--threshold", type=float, help="decision threshold (default: the bundle's)")
    parser.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--full-resolution", action="store_true",
                        help="feed each image near its own size (long side <= 1024) instead of the training size")
    parser.add_argument("--no-report", action="store_true", help="write results.csv only")
    parser.add_argument("--deidentify", action="store_true", help="leave patient and study lines out of the reports")
    parser.add_argument("--attention-out", metavar="DIR",
                        help="also save each attention map W as float32 .npy at feature resolution")
    parser.add_argument("--opacity", type=float, default=0.2, help="heat-map opacity in the reports (default 0.2)")
    parser.add_argument("--dicom-out", metavar="DIR",
                        help="also write each result as DICOM (Secondary Capture + Structured Report) to DIR")


@dataclass
class Row:
    path: str
    status: str
    probability: str = ""
    threshold: str = ""
    label: str = ""
    model: str = ""
    elapsed_ms: str = ""
    warnings: str = ""
    error: str = ""


def run_predict(args: argparse.Namespace) -> int:
    from cardioview.inference.predictor import Predictor

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # pydicom's messages may quote element values such as patient names: keep them out of logs.
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        return _usage(f"--threshold must be within 0-1, got {args.threshold}")
    if not 0.0 <= args.opacity <= 1.0:
        return _usage(f"--opacity must be within 0-1, got {args.opacity}")
    paths = [Path(p) for p in args.paths] or [_samples()]
    missing = [p for p in paths if not p.exists()]
    if missing:
        return _usage(f"no such file or folder: {', '.join(map(str, missing))}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        attention_out = Path(args.attention_out) if args.attention_out else None
        if attention_out:
            attention_out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _usage(f"cannot create the output folder: {exc}")
    try:
        predictor = Predictor(args.weights, backend=args.backend, device=args.device,
                              full_resolution=args.full_resolution, threshold=args.threshold)
    except CardioViewError as exc:
        return _usage(str(exc))

    inputs = collect_inputs(paths)
    print(f"{len(inputs.files)} image file(s) to analyse with {predictor.model_id} "
          f"({predictor.backend_name}, {predictor.device_name})"
          + (f"; {inputs.skipped} non-image file(s) skipped" if inputs.skipped else ""), file=sys.stderr)
    rows = [_analyse(i, path, predictor, args, out, attention_out) for i, path in enumerate(_progress(inputs.files), 1)]
    results = _write_results(out, rows)
    failed = sum(r.status != "ok" for r in rows)
    print(f"{len(rows) - failed} ok, {failed} failed; results in {results}", file=sys.stderr)
    for r in rows:
        if r.status != "ok":
            print(f"  error: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _analyse(number: int, path: Path, predictor, args: argparse.Namespace, out: Path, attention_out: Path | None) -> Row:
    from cardioview.imaging import load

    try:
        xray = load(path)
        prediction = predictor.predict(xray)
        if not args.no_report:
            _write_report(number, xray, prediction, out, args)
        if attention_out is not None:
            _save_attention(attention_out, path, prediction.attention)
        if getattr(args, "dicom_out", None):
            _write_dicom(number, xray, prediction, predictor, args)
    except CardioViewError as exc:
        return Row(path=str(path), status="error", error=str(exc))
    except Exception as exc:  # the run must go on; the reason is shown, not a traceback
        log.debug("unexpected failure", exc_info=True)
        return Row(path=str(path), status="error", error=f"{path.name}: unexpected {type(exc).__name__}: {exc}")
    return Row(
        path=str(path), status="ok",
        probability=f"{prediction.probability:.4f}", threshold=f"{prediction.threshold:.4f}",
        label=prediction.label, model=prediction.model_id, elapsed_ms=f"{prediction.elapsed_ms:.1f}",
        warnings="; ".join(prediction.warnings),
    )


def _write_report(number: int, xray, prediction, out: Path, args: argparse.Namespace) -> Path:
    from cardioview.render.report import build_report, write_report

    report = build_report(xray, prediction, opacity=args.opacity, deidentify=args.deidentify,
                          app_version=__version__, created=datetime.now(timezone.utc))
    # File names can carry patient names: de-identified reports are named by their row in results.csv.
    stem = f"report_{number:04d}" if args.deidentify else Path(xray.source).stem
    return write_report(unique_path(out, stem), report.image, report.metadata)


def _write_dicom(number: int, xray, prediction, predictor, args: argparse.Namespace) -> list[Path]:
    """SC + SR of one result (cardioview.network.dicom_results), named like the PNG report."""
    from cardioview.network.dicom_results import build_results, write_results

    objects = build_results(xray, prediction, deidentify=args.deidentify, opacity=args.opacity,
                            weights_sha256=predictor.bundle.manifest.get("model_sha256", ""))
    stem = f"report_{number:04d}" if args.deidentify else Path(xray.source).stem
    return write_results(args.dicom_out, objects, stem)


def _save_attention(folder: Path, source: Path, attention: np.ndarray) -> Path:
    buffer = io.BytesIO()
    np.save(buffer, attention.astype(np.float32))
    return atomic_write_bytes(unique_path(folder, source.stem, suffix=".npy"), buffer.getvalue())


def _write_results(out: Path, rows: list[Row]) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for r in rows:
        writer.writerow([getattr(r, c) for c in RESULT_COLUMNS])
    target = unique_path(out, "results", suffix=".csv")
    atomic_write_bytes(target, text.getvalue().encode("utf-8"))
    return target


def _progress(files: list[Path]):
    if sys.stderr.isatty() and len(files) > 1:
        from tqdm import tqdm

        return tqdm(files, unit="image", file=sys.stderr)
    return files


def _samples() -> Path:
    from cardioview.resources import samples_dir

    return samples_dir()


def _usage(message: str) -> int:
    print(f"cardioview predict: {message}", file=sys.stderr)
    return 2

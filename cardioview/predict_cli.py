"""``cardioview predict``: analyse files and folders, write results.csv and annotated reports.

Every input gets one row in results.csv; a bad file gets status ``error`` and a
one-line reason, and the run goes on. Nothing is written next to the inputs.
Exit codes: 0 every input gave a result, 1 some failed, 2 bad usage or unusable weights.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from pathlib import Path

from cardioview.atomic import unique_path
from cardioview.comparison.predict_hook import analysis_order, comparison_for, predict_trends
from cardioview.csv_safe import printable
from cardioview.errors import CardioViewError
from cardioview.inputs import collect_inputs
from cardioview.results.film_result import FilmFailure, analyse_file, short_name, unexpected_reason
from cardioview.results.naming import OutputNames
from cardioview.results.results_csv import Row, write_results_csv
from cardioview.results.writer import ResultWriter

log = logging.getLogger("cardioview.predict")


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (recursive); default: the bundled sample X-rays"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for results.csv and the reports")
    parser.add_argument("--weights", metavar="BUNDLE", help="weights bundle folder (default: the shipped weights)")
    parser.add_argument("--threshold", type=float, help="decision threshold (default: the bundle's)")
    parser.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument(
        "--full-resolution",
        action="store_true",
        help="feed each image near its own size (long side <= 1024) instead of the training size",
    )
    parser.add_argument("--no-report", action="store_true", help="write results.csv only")
    parser.add_argument("--deidentify", action="store_true", help="leave patient and study lines out of the reports")
    parser.add_argument(
        "--attention-out", metavar="DIR", help="also save each attention map W as float32 .npy at feature resolution"
    )
    parser.add_argument("--opacity", type=float, default=0.2, help="heat-map opacity in the reports (default 0.2)")
    # issue 12: heart/lung segmentation and the automatic CTR (cardioview/anatomy_cli.py)
    from cardioview.anatomy_cli import add_anatomy_arguments

    add_anatomy_arguments(parser)
    parser.add_argument(
        "--dicom-out",
        metavar="DIR",
        help="also write each result as DICOM (Secondary Capture + Structured Report) to DIR",
    )


def run_predict(args: argparse.Namespace) -> int:
    from cardioview.inference.predictor import Predictor

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        return _usage(f"--threshold must be within 0-1, got {args.threshold}")
    if not 0.0 <= args.opacity <= 1.0:
        return _usage(f"--opacity must be within 0-1, got {args.opacity}")
    paths = [Path(p) for p in args.paths] or [_samples()]
    missing = [p for p in paths if _missing(p)]
    if missing:
        return _usage(f"no such file or folder: {', '.join(printable(str(p)) for p in missing)}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        attention_out = Path(args.attention_out) if args.attention_out else None
        if attention_out:
            attention_out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _usage(f"cannot create the output folder: {exc}")
    from cardioview.library_output import route_library_output

    # Library warnings and codec messages go to DIR/debug.log (created only if one comes); stderr is the user's.
    route_library_output(unique_path(out, "debug", suffix=".log"))
    try:
        predictor = Predictor(
            args.weights,
            backend=args.backend,
            device=args.device,
            full_resolution=args.full_resolution,
            threshold=args.threshold,
            anatomy=args.anatomy_weights,
        )
    except CardioViewError as exc:
        return _usage(str(exc))

    inputs = collect_inputs(paths)
    bundle = getattr(predictor, "bundle", None)
    trust = f"; {bundle.trust.note}" if bundle is not None else ""
    print(
        f"{len(inputs.files)} image file(s) to analyse with {predictor.model_id} "
        f"({predictor.backend_name}, {predictor.device_name}{trust})"
        + (f"; {inputs.skipped} non-image file(s) skipped" if inputs.skipped else "")
        + (f"; {len(inputs.rejected)} entr(y/ies) not opened" if inputs.rejected else ""),
        file=sys.stderr,
    )
    writer = ResultWriter(
        opacity=args.opacity,
        deidentify=args.deidentify,
        weights_sha256=predictor.bundle.manifest.get("model_sha256", ""),
    )
    # issue 23: priors first (headers only), so each report can carry its comparison; rows keep the input order
    films: list = []
    analysed = {
        i: _analyse(i + 1, inputs.files[i], predictor, writer, args, out, attention_out, films)
        for i in _progress(analysis_order(inputs.files))
    }
    rows = [analysed[i] for i in range(len(inputs.files))]
    for row, path in zip(rows, inputs.files):  # a path given twice is analysed once, and the row says so
        row.warnings = "; ".join(filter(None, [row.warnings, inputs.repeat_note(path)]))
    rows += [Row.failed(path, f"{short_name(path)}: {reason}") for path, reason in inputs.rejected]
    results = write_results_csv(out, rows)
    predict_trends(out, films, deidentify=args.deidentify)  # issue 23: DIR/trend.csv and DIR/trend/*.png
    failed = sum(r.status == "error" for r in rows)
    unsuitable = sum(r.status == "unsuitable" for r in rows)
    print(
        f"{len(rows) - failed - unsuitable} ok, {unsuitable} not applicable (no verdict), {failed} failed; "
        f"results in {results}",
        file=sys.stderr,
    )
    for r in rows:
        if r.status != "ok":
            print(
                f"  error: {r.error}" if r.status == "error" else f"  not applicable: {Path(r.path).name}: {r.error}",
                file=sys.stderr,
            )
    return 1 if failed else 0


def _analyse(
    number: int,
    path: Path,
    predictor,
    writer: ResultWriter,
    args: argparse.Namespace,
    out: Path,
    attention_out: Path | None,
    films: list | None = None,
) -> Row:
    """Analyse one file and write what was asked for; any failure is the row's error (the run goes on).

    Args:
        films: the films analysed so far (comparison.films), to find this one's prior study (issue 23).
    """
    result = analyse_file(predictor, path)  # not applicable (MR, knee...): no verdict
    if isinstance(result, FilmFailure):
        return Row.of_outcome(result)
    # File names can carry patient names: de-identified outputs are named by their row in results.csv.
    stem = OutputNames(deidentify=args.deidentify).stem(path, number)
    try:
        if films is not None:  # issue 23: the change since the prior, a section of the report and the SR
            result = result.with_comparison(comparison_for(result.xray, result.prediction, films))
        dicom_out = getattr(args, "dicom_out", None)
        report = writer.report(result) if dicom_out or not args.no_report else None  # PNG and SC: one picture
        if not args.no_report:
            writer.write_report(result, out, stem, report=report)
        if attention_out is not None:
            writer.write_attention(result, attention_out, stem)
        if args.masks_out:
            writer.write_masks(result, Path(args.masks_out), stem)
        if dicom_out:
            writer.write_dicom(writer.dicom_objects(result, report=report), Path(dicom_out), stem)
    except CardioViewError as exc:
        return Row.failed(path, str(exc))
    except Exception as exc:  # the run must go on; the reason is shown, not a traceback
        log.debug("unexpected failure", exc_info=True)
        return Row.failed(path, unexpected_reason(path, exc))
    return Row.of(result, path=path)


def _missing(path: Path) -> bool:
    """True only for a path that does not exist; an odd one (too long, a loop) gets its own row instead."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return not os.path.islink(path)
    except OSError as exc:
        return exc.errno == errno.ENOTDIR
    return False


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

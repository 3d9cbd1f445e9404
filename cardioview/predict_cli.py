"""``cardioview predict``: analyse files and folders, write results.csv and annotated reports.

Every input gets one row in results.csv; a bad file gets status ``error`` and a
one-line reason, and the run goes on. Nothing is written next to the inputs.
Exit codes: 0 every input gave a result, 1 some failed, 2 bad usage or unusable weights.
"""

from __future__ import annotations

import argparse
import errno
import io
import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from cardioview import __version__
from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.csv_safe import csv_bytes, printable
from cardioview.errors import CardioViewError
from cardioview.inputs import collect_inputs

log = logging.getLogger("cardioview.predict")

RESULT_COLUMNS = ("path", "status", "probability", "threshold", "label", "ctr", "model", "elapsed_ms", "warnings",
                  "error", "sop_instance_uid", "study_instance_uid")


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
    # issue 12: heart/lung segmentation and the automatic CTR (cardioview/anatomy_cli.py)
    from cardioview.anatomy_cli import add_anatomy_arguments
    add_anatomy_arguments(parser)
    parser.add_argument("--dicom-out", metavar="DIR",
                        help="also write each result as DICOM (Secondary Capture + Structured Report) to DIR")


@dataclass
class Row:
    path: str
    status: str
    probability: str = ""
    threshold: str = ""
    label: str = ""
    ctr: str = ""
    model: str = ""
    elapsed_ms: str = ""
    warnings: str = ""
    error: str = ""
    sop_instance_uid: str = ""     # the DICOM film's (empty for a raster)
    study_instance_uid: str = ""

    @classmethod
    def from_prediction(cls, path: Path, prediction, notes: list[str] = (), metadata=None) -> "Row":
        """The row of one analysed film: its verdict (or why it has none), CTR, warnings plus ``notes``, and
        the SOP/Study Instance UIDs of ``metadata`` (an XRayMetadata)."""
        return cls(
            sop_instance_uid=getattr(metadata, "sop_instance_uid", ""),
            study_instance_uid=getattr(metadata, "study_instance_uid", ""),
            path=str(path), status="ok" if prediction.applicable else "unsuitable",
            probability=f"{prediction.probability:.4f}", threshold=f"{prediction.threshold:.4f}",
            label=prediction.label, model=prediction.model_id, elapsed_ms=f"{prediction.elapsed_ms:.1f}",
            warnings="; ".join([*prediction.warnings, *anatomy_warnings(prediction.anatomy), *notes]),
            ctr=format_ctr(prediction.anatomy), error=prediction.not_applicable,
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
        predictor = Predictor(args.weights, backend=args.backend, device=args.device,
                              full_resolution=args.full_resolution, threshold=args.threshold,
                              anatomy=args.anatomy_weights)
    except CardioViewError as exc:
        return _usage(str(exc))

    inputs = collect_inputs(paths)
    bundle = getattr(predictor, "bundle", None)
    trust = f"; {bundle.trust.note}" if bundle is not None else ""
    print(f"{len(inputs.files)} image file(s) to analyse with {predictor.model_id} "
          f"({predictor.backend_name}, {predictor.device_name}{trust})"
          + (f"; {inputs.skipped} non-image file(s) skipped" if inputs.skipped else "")
          + (f"; {len(inputs.rejected)} entr(y/ies) not opened" if inputs.rejected else ""), file=sys.stderr)
    # issue 23: priors first (headers only), so each report can carry its comparison; rows keep the input order
    from cardioview.comparison.predict_hook import analysis_order, predict_trends
    films: list = []
    analysed = {i: _analyse(i + 1, inputs.files[i], predictor, args, out, attention_out, films)
                for i in _progress(analysis_order(inputs.files))}
    rows = [analysed[i] for i in range(len(inputs.files))]
    for row, path in zip(rows, inputs.files):  # a path given twice is analysed once, and the row says so
        row.warnings = "; ".join(filter(None, [row.warnings, inputs.repeat_note(path)]))
    rows += [Row(path=str(path), status="error", error=f"{_name(path)}: {reason}") for path, reason in inputs.rejected]
    results = _write_results(out, rows)
    predict_trends(out, films, deidentify=args.deidentify)  # issue 23: DIR/trend.csv and DIR/trend/*.png
    failed = sum(r.status == "error" for r in rows)
    unsuitable = sum(r.status == "unsuitable" for r in rows)
    print(f"{len(rows) - failed - unsuitable} ok, {unsuitable} not applicable (no verdict), {failed} failed; "
          f"results in {results}", file=sys.stderr)
    for r in rows:
        if r.status != "ok":
            print(f"  error: {r.error}" if r.status == "error" else f"  not applicable: {Path(r.path).name}: {r.error}",
                  file=sys.stderr)
    return 1 if failed else 0


from cardioview.anatomy_cli import anatomy_warnings, format_ctr, report_ctr  # noqa: E402  (issue 12)


def _analyse(number: int, path: Path, predictor, args: argparse.Namespace, out: Path, attention_out: Path | None,
             films: list | None = None) -> Row:
    from cardioview.comparison.predict_hook import comparison_for
    from cardioview.imaging import load

    try:
        xray = load(path)
        prediction = predictor.predict(xray).for_xray(xray)  # not applicable (MR, knee...): no verdict
        comparison = comparison_for(xray, prediction, films) if films is not None else None  # issue 23
        if not args.no_report:
            _write_report(number, xray, prediction, out, args, comparison)
        if attention_out is not None:
            _save_attention(attention_out, path, prediction.attention)
        if args.masks_out:
            from cardioview.anatomy_cli import save_masks
            save_masks(Path(args.masks_out), path, prediction.anatomy)
        if getattr(args, "dicom_out", None):
            _write_dicom(number, xray, prediction, predictor, args, comparison)
    except CardioViewError as exc:
        return Row(path=str(path), status="error", error=str(exc))
    except Exception as exc:  # the run must go on; the reason is shown, not a traceback
        log.debug("unexpected failure", exc_info=True)
        return Row(path=str(path), status="error", error=f"{_name(path)}: unexpected {type(exc).__name__}: {exc}")
    return Row.from_prediction(path, prediction, metadata=xray.metadata)


def _write_report(number: int, xray, prediction, out: Path, args: argparse.Namespace, comparison=None) -> Path:
    # File names can carry patient names: de-identified reports are named by their row in results.csv.
    stem = f"report_{number:04d}" if args.deidentify else _short(Path(xray.source).stem)
    return write_report_png(out, stem, xray, prediction, opacity=args.opacity, deidentify=args.deidentify,
                            comparison=comparison)


def write_report_png(folder: Path, stem: str, xray, prediction, opacity: float, deidentify: bool,
                     comparison=None) -> Path:
    """The annotated PNG report (with the automatic CTR) as ``folder/stem.png``, or the next free name.

    Shared by ``predict`` and the listener (``listen --reports``). ``comparison``: the change since the
    prior (cardioview.comparison.change.Change), drawn as its own section; None without a prior.
    """
    from cardioview.render.report import build_report, write_report

    report = build_report(xray, prediction, opacity=opacity, deidentify=deidentify, ctr=report_ctr(prediction.anatomy),
                          app_version=__version__, created=datetime.now(timezone.utc), comparison=comparison)
    return write_report(unique_path(folder, stem), report.image, report.metadata)


def _write_dicom(number: int, xray, prediction, predictor, args: argparse.Namespace, comparison=None) -> list[Path]:
    """SC + SR of one result (cardioview.network.dicom_results), named like the PNG report."""
    from cardioview.network.dicom_results import build_results, write_results

    objects = build_results(xray, prediction, deidentify=args.deidentify, opacity=args.opacity,
                            weights_sha256=predictor.bundle.manifest.get("model_sha256", ""), comparison=comparison)
    stem = f"report_{number:04d}" if args.deidentify else Path(xray.source).stem
    return write_results(args.dicom_out, objects, stem)


def _save_attention(folder: Path, source: Path, attention: np.ndarray) -> Path:
    buffer = io.BytesIO()
    np.save(buffer, attention.astype(np.float32))
    return atomic_write_bytes(unique_path(folder, _short(source.stem), suffix=".npy"), buffer.getvalue())


def _short(stem: str, limit: int = 120) -> str:
    """An output file stem short enough for any file system (the input's name may be up to 255 bytes)."""
    while len(os.fsencode(stem)) > limit:
        stem = stem[: len(stem) * 3 // 4]
    return stem or "image"


def _name(path: Path) -> str:
    """The file name as the error cell shows it (a too-long name is cut, the row's path has all of it)."""
    name = path.name or str(path)
    return name if len(name) <= 160 else name[:150] + "..."


def _missing(path: Path) -> bool:
    """True only for a path that does not exist; an odd one (too long, a loop) gets its own row instead."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return not os.path.islink(path)
    except OSError as exc:
        return exc.errno == errno.ENOTDIR
    return False


def _write_results(out: Path, rows: list[Row]) -> Path:
    """results.csv: every cell made printable (odd file-name bytes as \\xNN) and safe from formula injection."""
    for r in rows:  # the summary on stderr shows the same printable text
        r.path, r.error = printable(r.path), printable(r.error)
    data = csv_bytes(RESULT_COLUMNS, ([getattr(r, c) for c in RESULT_COLUMNS] for r in rows))
    target = unique_path(out, "results", suffix=".csv")
    atomic_write_bytes(target, data)
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

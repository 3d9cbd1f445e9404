"""``CardioView --self-test``: prove that a build decodes, analyses and reports, offline.

Run it in the frozen bundle (``CardioView --self-test``) or from source
(``python -m cardioview.selftest``). It prints one line per check and returns 0
only when every check passed:

- weights: the shipped bundle loads on ONNX Runtime (hash-verified model.onnx);
- decoders: every DICOM decoder plugin the bundle ships (pylibjpeg-openjpeg,
  pyjpegls, python-gdcm, Pillow) decodes the self-test DICOMs to exactly the
  stored values of the uncompressed sample; this catches plugins whose package
  metadata or data files a frozen build lost, even when another plugin covers;
- one check per input (MONOCHROME1 DICOM, JPEG 2000, JPEG-LS, JPEG lossless, PNG):
  load, analyse, write an annotated report and read its metadata back;
- gui: the real main window, offscreen, opens the PNG, analyses it and saves a
  screenshot; its audit log must record the same probability as the headless run;
- qt binding: 20,000 None-returning Qt calls leave None's reference count unchanged
  (PySide6 6.12.0 on Python 3.11 dropped one per call and the viewer aborted);
- network: nothing above tried to open a network connection.

Headless except the gui check, which imports cardioview.gui lazily and sets
QT_QPA_PLATFORM=offscreen when unset. Reports and screenshots go to a temporary
folder (or to ``--out``); user settings and the audit log are redirected there too.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.pixels import pixel_array
from pydicom.uid import UID

from cardioview import __version__
from cardioview.atomic import atomic_write_text, unique_path
from cardioview.imaging import load
from cardioview.inference.predictor import Predictor
from cardioview.model.bundle import MANIFEST
from cardioview.render.report import build_report, read_report_metadata, write_report
from cardioview.resources import resources_dir
from cardioview.selftest.anatomy import check_anatomy
from cardioview.selftest.checks import Check, Checks, NetworkGuard

#: Packages the clinical bundle must leave out; checked only in a frozen build.
EXCLUDED_FROM_BUNDLE = ("torch", "torchvision", "cv2", "matplotlib", "tkinter", "PyQt5", "PyQt6", "PySide2")


@dataclass(frozen=True)
class SelfTestInput:
    """One shipped test image: where it lives under resources/ and what its header must say."""

    label: str
    relative: str
    transfer_syntax: str = ""  # DICOM transfer syntax UID; "" for raster files
    photometric: str = ""


MONOCHROME1 = SelfTestInput(
    "MONOCHROME1 DICOM", "samples/rg1_cr_chest_pa_monochrome1.dcm", "1.2.840.10008.1.2.1", "MONOCHROME1"
)
INPUTS = (
    MONOCHROME1,
    SelfTestInput("JPEG 2000 DICOM", "selftest/rg1_cr_jpeg2000_lossless.dcm", "1.2.840.10008.1.2.4.90", "MONOCHROME1"),
    SelfTestInput("JPEG-LS DICOM", "selftest/rg1_cr_jpegls_lossless.dcm", "1.2.840.10008.1.2.4.80", "MONOCHROME1"),
    SelfTestInput(
        "JPEG lossless DICOM", "selftest/rg1_cr_jpeg_lossless_sv1.dcm", "1.2.840.10008.1.2.4.70", "MONOCHROME1"
    ),
    SelfTestInput("PNG", "samples/nih_00000001_000_cardiomegaly.png"),
)
#: pydicom decoding plugins the bundle ships, per compressed self-test input.
DECODER_PLUGINS = {
    "selftest/rg1_cr_jpeg2000_lossless.dcm": ("pylibjpeg", "gdcm", "pillow"),
    "selftest/rg1_cr_jpegls_lossless.dcm": ("pyjpegls", "gdcm"),
    "selftest/rg1_cr_jpeg_lossless_sv1.dcm": ("gdcm",),
}
SYNTAX_LABELS = {
    "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless",
    "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
    "1.2.840.10008.1.2.4.70": "JPEG lossless SV1",
}
#: The DICOMs are lossless re-encodings of one sample, so their results must agree this closely.
SAME_RESULT_TOLERANCE = 1e-5


def run_selftest(
    weights: str | Path | None = None,
    *,
    out_dir: Path | None = None,
    device: str = "auto",
    gui: bool | None = None,
    resources: Path | None = None,
    emit: Callable[[str], None] = print,
) -> list[Check]:
    """Run every check and return the results (also passed to ``emit`` one line at a time).

    Args:
        weights: bundle folder; None for the shipped one (or $CARDIOVIEW_WEIGHTS).
        out_dir: folder for the reports and the screenshot; None for a temporary one, removed after.
        device: "auto" (CUDA when ONNX Runtime has it), "cpu" or "cuda".
        gui: True to require the GUI check, False to skip it, None to run it when the GUI imports.
        resources: the resources/ folder holding samples/ and selftest/ (default: the app's).
    """
    resources = Path(resources) if resources is not None else resources_dir()
    checks = Checks(emit)
    with contextlib.ExitStack() as stack:
        if out_dir is None:
            out_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cardioview-selftest-")))
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        guard = stack.enter_context(NetworkGuard())
        if getattr(sys, "frozen", False):
            _check_exclusions(checks)
        predictor = _check_weights(checks, weights, device)
        _check_decoders(checks, resources)
        check_anatomy(checks, predictor, resources / INPUTS[-1].relative)
        results: dict[str, tuple | None] = {}
        for item in INPUTS:  # MONOCHROME1 first: the re-encodings are compared with it
            results[item.relative] = _check_input(
                checks, item, resources, predictor, out_dir, results.get(MONOCHROME1.relative)
            )
        if gui is not False:
            png = resources / INPUTS[-1].relative
            _check_gui(checks, predictor, png, results.get(INPUTS[-1].relative), out_dir, required=bool(gui))
        stack.close()  # restore the network functions before judging them
        checks.add(
            Check(
                "network",
                "PASS" if not guard.attempts else "FAIL",
                "no connection attempted"
                if not guard.attempts
                else f"{len(guard.attempts)} attempt(s): {', '.join(sorted(set(guard.attempts)))}",
            )
        )
    return checks.results


def _check_exclusions(checks: Checks) -> None:

    with checks.check("excluded packages") as detail:
        present = [name for name in EXCLUDED_FROM_BUNDLE if importlib.util.find_spec(name) is not None]
        if present:
            raise AssertionError(f"the bundle contains {', '.join(present)}")
        detail.append(f"none of {', '.join(EXCLUDED_FROM_BUNDLE)} is bundled")


def _check_weights(checks: Checks, weights: str | Path | None, device: str):

    with checks.check("weights") as detail:
        predictor = Predictor(weights, backend="onnx", device=device)
        shipped = sorted(p.name for p in predictor.bundle.root.iterdir() if p.is_file() and p.name != MANIFEST)
        detail.append(
            f"{predictor.model_id} on {predictor.backend_name} {predictor.device_name}, "
            f"input {predictor.spec.input_size} px, files: {', '.join(shipped)}; "
            f"{predictor.bundle.trust.note}"
        )  # the Ed25519 check proves cryptography is bundled
        return predictor
    return None


def _check_decoders(checks: Checks, resources: Path) -> None:

    with checks.check("decoders") as detail:
        reference = pydicom.dcmread(resources / MONOCHROME1.relative).pixel_array
        for relative, plugins in DECODER_PLUGINS.items():
            path = resources / relative
            syntax = pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
            for plugin in plugins:
                try:
                    decoded = pixel_array(path, decoding_plugin=plugin)
                except Exception as exc:
                    raise RuntimeError(f"{path.name} with {plugin}: {str(exc).strip().splitlines()[0]}") from exc
                if not np.array_equal(decoded, reference):
                    raise AssertionError(f"{path.name} with {plugin}: pixels differ from the uncompressed sample")
            detail.append(f"{SYNTAX_LABELS.get(str(syntax), syntax.name)}: {', '.join(plugins)}")


def _check_input(
    checks: Checks, item: SelfTestInput, resources: Path, predictor, out_dir: Path, reference: tuple | None
):
    """Load, analyse and report one input; returns (xray pixels, prediction) or None when it failed.

    ``reference`` is the uncompressed MONOCHROME1 sample's (pixels, prediction): a lossless
    re-encoding of it must give exactly its pixels and its probability.
    """

    with checks.check(item.label) as detail:
        if predictor is None:
            raise RuntimeError("no model to analyse with (see the weights check)")
        path = resources / item.relative
        xray = load(path)
        meta = xray.metadata
        if item.transfer_syntax and meta.transfer_syntax != UID(item.transfer_syntax).name:
            raise AssertionError(
                f"{path.name}: transfer syntax {meta.transfer_syntax or 'none'}, "
                f"expected {UID(item.transfer_syntax).name}"
            )
        if item.photometric and meta.photometric_interpretation != item.photometric:
            raise AssertionError(
                f"{path.name}: photometric {meta.photometric_interpretation or 'none'}, expected {item.photometric}"
            )
        if item.photometric == "MONOCHROME1" and not xray.invert_display:
            raise AssertionError(f"{path.name}: MONOCHROME1 was not inverted for display")
        prediction = predictor.predict(xray)
        if not (0.0 <= prediction.probability <= 1.0 and prediction.attention.ndim == 2):
            raise AssertionError(f"{path.name}: implausible result p={prediction.probability}")
        report = build_report(xray, prediction, deidentify=True, app_version=__version__)
        written = write_report(unique_path(out_dir, f"selftest_{path.stem}"), report.image, report.metadata)
        recorded = read_report_metadata(written)
        if recorded != json.loads(json.dumps(report.metadata)):
            raise AssertionError(f"{written.name}: the report's metadata did not read back unchanged")
        h, w = prediction.attention.shape
        detail.append(
            f"{xray.shape[1]}x{xray.shape[0]}, p={prediction.probability:.4f} ({prediction.label}), "
            f"attention {w}x{h}, {prediction.elapsed_ms:.0f} ms, report {report.image.shape[1]}x"
            f"{report.image.shape[0]} written"
        )
        if item.relative in DECODER_PLUGINS:
            if reference is None:
                raise RuntimeError("cannot compare: the uncompressed MONOCHROME1 sample failed")
            pixels, expected = reference
            if not np.array_equal(xray.pixels, pixels):
                raise AssertionError("pixels differ from the uncompressed MONOCHROME1 sample")
            if abs(prediction.probability - expected.probability) > SAME_RESULT_TOLERANCE:
                raise AssertionError(
                    f"p={prediction.probability:.6f} differs from the uncompressed sample's {expected.probability:.6f}"
                )
            detail.append("identical to the uncompressed sample")
        return xray.pixels, prediction
    return None


def _check_gui(checks: Checks, predictor, png: Path, headless: tuple | None, out_dir: Path, required: bool) -> None:
    """Open the real main window offscreen on ``png``; its audit log must match the headless result."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if os.environ["QT_QPA_PLATFORM"] == "offscreen":
        # The offscreen platform warns about window hints it ignores: noise in a one-line-per-check log.
        os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false;default.warning=false")
    try:
        from cardioview.gui.app import run_gui
    except ImportError as exc:
        if required:
            checks.add(Check("gui", "FAIL", f"the GUI cannot be imported ({exc})"))
        else:
            checks.add(Check("gui", "SKIP", f"the GUI cannot be imported here ({exc})"))
        return
    with checks.check("gui") as detail:
        if predictor is None or headless is None:
            raise RuntimeError("needs the weights and the PNG checks to pass first")
        screenshot = out_dir / "selftest_main_window.png"
        state = out_dir / "gui-state"
        args = argparse.Namespace(
            path=png,
            analyze_all=False,
            opacity=None,
            screenshot=screenshot,
            quit_after=True,
            weights=predictor.bundle.root,
            backend="onnx",
            device=_viewer_device(predictor),
        )
        captured = io.StringIO()
        # Settings and the audit log of this run go to the self-test folder, never the user's.
        with (
            _environment(CARDIOVIEW_CONFIG_DIR=str(state / "config"), CARDIOVIEW_LOG_DIR=str(state / "log")),
            contextlib.redirect_stdout(captured),
            contextlib.redirect_stderr(captured),
        ):
            code = run_gui(args)
        if code != 0:
            last = (captured.getvalue().strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"the viewer exited with code {code} ({last})")
        if not screenshot.is_file() or screenshot.stat().st_size == 0:
            raise AssertionError("no screenshot of the window was written")
        probability = _audited_probability(state / "log" / "audit.jsonl", png)
        expected = headless[1].probability
        if abs(probability - expected) > 1e-3:  # the audit log rounds to 4 decimals
            raise AssertionError(f"the viewer found p={probability:.4f}, the headless run {expected:.4f}")
        detail.append(
            f"main window opened offscreen, analysed {png.name} (p={probability:.4f}, as headless), screenshot written"
        )
    with checks.check("qt binding") as detail:  # issue 18: a binding that leaks None aborts the viewer
        from cardioview.gui.app import create_application
        from cardioview.gui.binding_check import NONE_IS_IMMORTAL, none_refcount_burst

        create_application()
        result = none_refcount_burst()
        if not result.ok:
            raise AssertionError(result.describe() + ": this Qt binding leaks None and would abort the viewer")
        detail.append(result.describe() + (" (None is immortal on this Python)" if NONE_IS_IMMORTAL else ""))


def _viewer_device(predictor) -> str:
    """The --device value that reproduces ``predictor``'s device in the viewer."""
    return "cuda" if predictor.device_name == "CUDA" else "cpu"


def _audited_probability(log: Path, png: Path) -> float:
    digest = hashlib.sha256(png.read_bytes()).hexdigest()
    if not log.is_file():
        raise AssertionError("the viewer wrote no audit log")
    for line in log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("action") == "analyse" and entry.get("file_sha256") == digest and "probability" in entry:
            return float(entry["probability"])
    raise AssertionError(f"the viewer's audit log records no analysis of {png.name}")


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main(argv: list[str] | None = None, *, require_gui: bool = False) -> int:
    """Command line of the self-test; exit code 0 only when every check passed."""
    parser = argparse.ArgumentParser(prog="CardioView --self-test", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="weights bundle folder (default: the shipped one)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--out", type=Path, help="keep the reports, the screenshot and selftest.txt in this folder")
    parser.add_argument("--no-gui", action="store_true", help="skip the main-window check")
    args = parser.parse_args(argv)
    if args.no_gui and require_gui:
        parser.error("this build always checks its main window")
    lines: list[str] = []

    def emit(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    results = run_selftest(
        args.weights,
        out_dir=args.out,
        device=args.device,
        gui=False if args.no_gui else (True if require_gui else None),
        emit=emit,
    )
    failed = [c for c in results if c.status == "FAIL"]
    skipped = sum(c.status == "SKIP" for c in results)
    emit(
        f"self-test FAILED: {len(failed)} of {len(results)} checks failed"
        if failed
        else f"self-test OK: all {len(results) - skipped} checks passed" + (f", {skipped} skipped" if skipped else "")
    )
    if args.out is not None:  # windowed builds have no console: leave the lines where the user can read them
        atomic_write_text(unique_path(args.out, "selftest", suffix=".txt"), "\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Report export off the GUI thread: one report or one per analysed image."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cardioview.anatomy.cardiothoracic_ratio import CardiothoracicRatio
from cardioview.atomic import unique_path
from cardioview.errors import CardioViewError
from cardioview.gui.audit import image_reference
from cardioview.imaging.xray import XRay
from cardioview.model.bundle import sha256_file
from cardioview.model.prediction import Prediction
from cardioview.render.overlay import AttentionScale
from cardioview.render.report import Report
from cardioview.results.film_result import FilmResult, judged
from cardioview.results.naming import OutputNames
from cardioview.results.writer import ResultWriter


@dataclass(frozen=True)
class ExportItem:
    """One report to write.

    Attributes:
        key: image key (for messages).
        source: the image file, loaded again when ``xray`` is None.
        prediction: the result to report, judged at the chosen threshold.
        target: exact output path, or None for ``folder/<stem>_report.png`` (never overwriting).
        xray: the loaded image when at hand.
        ctr: the measured cardiothoracic ratio, if any.
        show_model_output: the user asked for a not-applicable image's model output (drawn greyed).
        comparison: the change since the patient's prior study, a report section (issue 23); None: none.
    """

    key: str
    source: Path
    prediction: Prediction
    target: Path | None = None
    xray: XRay | None = None
    ctr: CardiothoracicRatio | None = None
    show_model_output: bool = False
    comparison: object | None = None  # issue 23: the change since the prior (comparison.change.Change)


@dataclass(frozen=True)
class ExportStyle:
    """How the reports look and what they say besides the result.

    Attributes:
        default_threshold / operating_point: the model's own threshold and the validation
            sensitivity/specificity at the threshold in use (when known), printed when the
            user changed the threshold.
        window / invert: the window/level and inversion on screen.
    """

    opacity: float
    colormap: str
    scale: AttentionScale
    deidentify: bool
    default_threshold: float | None = None
    operating_point: dict | None = None
    window: str = ""
    invert: bool = False


def report_stem(xray_or_source: XRay | Path, deidentify: bool, index: int = 0) -> str:
    """A file stem that carries no patient name: the source stem, or a counter when de-identifying."""
    source = xray_or_source.source if isinstance(xray_or_source, XRay) else xray_or_source
    return OutputNames(deidentify, "cardioview_report", digits=3, suffix="_report").stem(source, index + 1)


def free_target(path: Path) -> Path:
    """``path`` as a .png, or the next free ``stem_N.png`` beside it when that file exists.

    The save dialog is told not to ask about overwriting: an existing file is
    never replaced, the report takes the next free name instead.
    """
    path = Path(path).with_suffix(".png")
    return unique_path(path.parent, path.stem) if path.exists() else path


def item_result(item: ExportItem) -> FilmResult:
    """The item as the results layer's FilmResult (loading its image when not at hand), with the reader's CTR."""
    xray = item.xray
    if xray is None:
        from cardioview.imaging.loader import load

        xray = load(item.source)
    return replace(judged(item.prediction, xray).with_reader_ctr(item.ctr), comparison=item.comparison)


def build_item_report(item: ExportItem, style: ExportStyle, index: int = 0) -> tuple[Report, XRay]:
    """The report of one item (loading its image when not at hand) and the image it shows."""
    result = item_result(item)
    writer = ResultWriter(opacity=style.opacity, deidentify=style.deidentify)
    options = writer.report_options(
        result,
        created=datetime.now().astimezone(),
        colormap=style.colormap,
        scale=style.scale,
        default_threshold=style.default_threshold,
        operating_point=style.operating_point,
        window=style.window,
        invert=style.invert,
        export_index=index + 1 if style.deidentify and item.target is None else None,
        show_model_output=item.show_model_output,
    )
    return writer.report(result, options), result.xray


def write_one(item: ExportItem, style: ExportStyle, folder: Path | None, index: int) -> tuple[Path, XRay]:
    """Build and atomically write one report; returns its path and the image it shows.

    Raises:
        CardioViewError / OSError / FileExistsError: load or write failures.
    """
    report, xray = build_item_report(item, style, index)
    writer = ResultWriter(deidentify=style.deidentify)
    target = item.target or writer.target(folder, report_stem(xray, style.deidentify, index), ".png")
    return writer.write_report_image(report, target), xray


class _ExportSignals(QObject):
    written = Signal(str, str, str, object)  # key, path, sha256 of the file, the image's audit reference
    # (the reference carries "export_index" for de-identified batch reports: index -> SOP UID / sha256)
    failed = Signal(str, str)  # key, reason
    finished = Signal(int, int)  # written, failed


class ReportExporter(QObject):
    """Writes reports in a background thread and reports each file as it lands."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.signals = _ExportSignals()
        self.written, self.failed, self.finished = (self.signals.written, self.signals.failed, self.signals.finished)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def export(self, items: list[ExportItem], style: ExportStyle, folder: Path | None = None) -> None:
        signals = self.signals

        class Job(QRunnable):
            def run(self) -> None:
                ok = bad = 0
                for index, item in enumerate(items):
                    try:
                        path, xray = write_one(item, style, folder, index)
                    except (CardioViewError, OSError, ValueError) as exc:
                        bad += 1
                        signals.failed.emit(item.key, f"{item.source.name}: {exc}")
                    else:
                        ok += 1
                        reference = dict(image_reference(xray))
                        if style.deidentify and item.target is None:
                            reference["export_index"] = index + 1
                        signals.written.emit(item.key, str(path), sha256_file(path), reference)
                signals.finished.emit(ok, bad)

        self._pool.start(Job())

    def wait(self, timeout_ms: int = 30000) -> bool:
        return self._pool.waitForDone(timeout_ms)

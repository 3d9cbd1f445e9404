"""One received film -> one result row, with the outputs the listener was asked for.

The film is analysed and written by the results layer that ``cardioview predict`` uses
(cardioview/results: ``analyse_file``, ``Row.of``, ``ResultWriter``), so both give the same
status, figures and objects: ``ok`` with a verdict, ``unsuitable`` with the reason (imaging/
suitability.py: not a frontal chest radiograph, too small...), or ``error`` (unreadable). When an
output the listener promises fails (the SC/SR/SEG objects, the forward to the PACS, the PNG
report), the row is ``incomplete``: the verdict stays, the ``error`` cell names what failed,
and the failure goes to stderr. A film whose patient was seen earlier in this run carries the change since
that prior study in its report and SR, as in ``predict`` (issue 23).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from cardioview.comparison.predict_hook import comparison_for
from cardioview.errors import CardioViewError
from cardioview.network.nodes import Node
from cardioview.results.film_result import FilmFailure, FilmResult, analyse_file
from cardioview.results.naming import OutputNames
from cardioview.results.results_csv import Row
from cardioview.results.writer import ResultWriter

log = logging.getLogger("cardioview.listen")


@dataclass(frozen=True)
class Outputs:
    """What the listener writes beside each row."""

    dicom_dir: Path
    reports_dir: Path
    dicom_results: bool = True  # SC, SR and (anatomy on a DICOM film) SEG in dicom_dir
    forward: Node | None = None  # send those objects there
    reports: bool = False  # annotated PNG report in reports_dir
    deidentify: bool = False
    opacity: float = 0.2
    local_ae: str = "CARDIOVIEW"


def analyse_film(
    predictor, path: Path, outputs: Outputs, uids: tuple[str, str] = ("", ""), films: list | None = None
) -> Row:
    """Load, predict and write the outputs of one received film; never raises.

    Args:
        uids: the SOP and Study Instance UIDs the network side read, for the row of a film that does not load.
        films: the films analysed so far (comparison.films.FilmRecord), to find this one's prior study; this
            film joins them. None: no comparison.
    """
    result = analyse_file(predictor, path)
    if isinstance(result, FilmFailure):
        return Row.of_outcome(result, uids)
    if films is not None:  # as predict does: the change since the prior, a section of the report and the SR
        try:
            result = result.with_comparison(comparison_for(result.xray, result.prediction, films))
        except Exception as exc:  # the comparison is an extra: the film still gets its verdict and outputs
            log.error("%s: no comparison with a prior (%s)", path.name, type(exc).__name__)
    if result.status != "ok":
        return Row.of(result, path=path)
    notes, failures = _write_outputs(predictor, path, result, outputs)
    row = Row.of(result, notes, path=path)
    if failures:
        row.status, row.error = "incomplete", "; ".join(failures)
        log.error("%s: analysed, but %s", path.name, row.error)
    return row


def _write_outputs(predictor, path: Path, result: FilmResult, outputs: Outputs) -> tuple[list[str], list[str]]:
    """(notes for the warnings cell, failures for the error cell)."""
    notes: list[str] = []
    failures: list[str] = []
    # received films are named by arrival number: their stems carry no patient data
    writer = ResultWriter(
        opacity=outputs.opacity,
        deidentify=outputs.deidentify,
        private=True,
        weights_sha256=predictor.bundle.manifest.get("model_sha256", ""),
    )
    stem = OutputNames().stem(path)
    if outputs.dicom_results or outputs.forward is not None:
        try:
            objects = writer.dicom_objects(result)
            writer.write_dicom(objects, outputs.dicom_dir, stem)
        except Exception as exc:
            failures.append(f"DICOM results not written ({type(exc).__name__}: {exc})")
        else:
            if outputs.forward is not None:
                try:
                    send_results(outputs.forward, objects.datasets, outputs.local_ae)
                    notes.append(f"results sent to {outputs.forward.name}")
                except CardioViewError as exc:
                    failures.append(f"forward failed: {exc}")
    if outputs.reports:
        try:
            writer.write_report(result, outputs.reports_dir, stem)
        except Exception as exc:
            failures.append(f"report not written ({type(exc).__name__}: {exc})")
    return notes, failures


def send_results(node: Node, datasets: list[Dataset], local_ae: str) -> None:
    """C-STORE (DIMSE node) or STOW-RS (DICOMweb-only node) of result objects."""
    if node.has_dimse:
        from cardioview.network.dimse import store

        store(node, datasets, local_ae=local_ae)
    else:
        from cardioview.network.dicomweb import stow

        stow(node, datasets)

"""One received film -> one result row, with the outputs the listener was asked for.

The film is judged as ``cardioview predict`` judges it (``Prediction.for_xray``, i.e.
imaging/suitability.py): ``ok`` with a verdict, ``unsuitable`` with the reason
(not a frontal chest radiograph, too small...), or ``error`` (unreadable). When an
output the listener promises fails (the SC/SR/SEG objects, the forward to the PACS,
the PNG report), the row is ``incomplete``: the verdict stays, the ``error`` cell
names what failed, and the failure goes to stderr.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from cardioview.errors import CardioViewError
from cardioview.network.inbox import private_folder, write_private
from cardioview.network.nodes import Node
from cardioview.predict_cli import Row

log = logging.getLogger("cardioview.listen")


@dataclass(frozen=True)
class Outputs:
    """What the listener writes beside each row."""

    dicom_dir: Path
    reports_dir: Path
    dicom_results: bool = True     # SC, SR and (anatomy on a DICOM film) SEG in dicom_dir
    forward: Node | None = None    # send those objects there
    reports: bool = False          # annotated PNG report in reports_dir
    deidentify: bool = False
    opacity: float = 0.2
    local_ae: str = "CARDIOVIEW"


def analyse_film(predictor, path: Path, outputs: Outputs, uids: tuple[str, str] = ("", "")) -> Row:
    """Load, predict and write the outputs of one received film; never raises.

    Args:
        uids: the SOP and Study Instance UIDs the network side read, for the row of a film that does not load.
    """
    from cardioview.imaging import load

    sop_uid, study_uid = uids
    try:
        xray = load(path)
        prediction = predictor.predict(xray).for_xray(xray)
    except CardioViewError as exc:
        return Row(path=str(path), status="error", error=str(exc), sop_instance_uid=sop_uid,
                   study_instance_uid=study_uid)
    except Exception as exc:  # a decoder or model failure costs this film a row, not the listener
        return Row(path=str(path), status="error", error=f"{path.name}: unexpected {type(exc).__name__}: {exc}",
                   sop_instance_uid=sop_uid, study_instance_uid=study_uid)
    if not prediction.applicable:
        return Row.from_prediction(path, prediction, metadata=xray.metadata)
    notes, failures = _write_outputs(predictor, path, xray, prediction, outputs)
    row = Row.from_prediction(path, prediction, notes, metadata=xray.metadata)
    if failures:
        row.status, row.error = "incomplete", "; ".join(failures)
        log.error("%s: analysed, but %s", path.name, row.error)
    return row


def _write_outputs(predictor, path: Path, xray, prediction, outputs: Outputs) -> tuple[list[str], list[str]]:
    """(notes for the warnings cell, failures for the error cell)."""
    notes: list[str] = []
    failures: list[str] = []
    if outputs.dicom_results or outputs.forward is not None:
        try:
            objects = _dicom_objects(predictor, path, xray, prediction, outputs)
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
            from cardioview.predict_cli import write_report_png

            private_folder(outputs.reports_dir)
            written = write_report_png(outputs.reports_dir, path.stem, xray, prediction, opacity=outputs.opacity,
                                       deidentify=outputs.deidentify)
            written.chmod(0o600)
        except Exception as exc:
            failures.append(f"report not written ({type(exc).__name__}: {exc})")
    return notes, failures


def _dicom_objects(predictor, path: Path, xray, prediction, outputs: Outputs):
    from cardioview.atomic import unique_path
    from cardioview.network.dicom_results import build_results, dataset_bytes

    objects = build_results(xray, prediction, deidentify=outputs.deidentify,
                            weights_sha256=predictor.bundle.manifest.get("model_sha256", ""),
                            opacity=outputs.opacity)
    private_folder(outputs.dicom_dir)
    for kind, ds in (("sc", objects.sc), ("sr", objects.sr), ("seg", objects.seg)):
        if ds is not None:
            write_private(unique_path(outputs.dicom_dir, f"{path.stem}_{kind}", suffix=".dcm"), dataset_bytes(ds))
    return objects


def send_results(node: Node, datasets: list[Dataset], local_ae: str) -> None:
    """C-STORE (DIMSE node) or STOW-RS (DICOMweb-only node) of result objects."""
    if node.has_dimse:
        from cardioview.network.dimse import store

        store(node, datasets, local_ae=local_ae)
    else:
        from cardioview.network.dicomweb import stow

        stow(node, datasets)

"""The listener: a Storage SCP that triages chest films as they arrive.

Each received object is stored to ``out/received/`` at once (the association
is answered without waiting for the model), queued by path (a bounded queue of
file names keeps memory flat however long the burst), and analysed by one
thread with one Predictor. Every received object gets exactly one row in
``out/results.csv`` (the columns of ``cardioview predict``): ``ok``, ``skipped``
with the reason (not a frontal chest CR/DX, or a film the model cannot read, as
``cardioview predict`` judges it), or ``error``. With ``reports`` each analysed
film also gets the annotated PNG report of ``cardioview predict`` in ``out/reports/``.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.presentation import AllStoragePresentationContexts
from pynetdicom.sop_class import Verification

from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.errors import CardioViewError
from cardioview.network.nodes import Node
from cardioview.network.results_csv import ResultsFile
from cardioview.predict_cli import Row

log = logging.getLogger("cardioview.listen")

ANALYSED_MODALITIES = frozenset({"CR", "DX"})
CHEST = frozenset({"", "CHEST", "THORAX", "LUNG"})
FRONTAL = frozenset({"", "PA", "AP"})
_STOP = object()


def skip_reason(ds: Dataset) -> str:
    """Why a received object is not analysed ('' when it is a frontal chest CR/DX with pixels)."""
    modality = str(getattr(ds, "Modality", "")).upper()
    if modality not in ANALYSED_MODALITIES:
        return f"modality {modality or 'unstated'} is not CR/DX"
    body = str(getattr(ds, "BodyPartExamined", "")).upper()
    if body not in CHEST:
        return f"body part {body} is not CHEST"
    view = str(getattr(ds, "ViewPosition", "")).upper()
    if view not in FRONTAL:
        return f"view {view} is not frontal (PA/AP)"
    if "PixelData" not in ds:
        return "no pixel data"
    return ""


@dataclass
class ListenerOptions:
    ae_title: str = "CARDIOVIEW"
    port: int = 11112
    host: str = "0.0.0.0"
    forward: Node | None = None
    dicom_results: bool = True     # write the SC and SR (needed for --forward)
    deidentify: bool = False
    queue_size: int = 1024
    opacity: float = 0.2
    reports: bool = False          # annotated PNG report per analysed film, in out/reports/


class Listener:
    """Storage SCP + one analysis thread. ``start()``, then ``stop()`` (drains the queue first)."""

    def __init__(self, predictor, out: str | Path, options: ListenerOptions | None = None):
        self.predictor = predictor
        self.options = options or ListenerOptions()
        self.out = Path(out)
        self.received_dir = self.out / "received"
        self.dicom_dir = self.out / "dicom"
        self.reports_dir = self.out / "reports"
        self.received_dir.mkdir(parents=True, exist_ok=True)
        self.results = ResultsFile(self.out)
        self.queue: queue.Queue = queue.Queue(maxsize=self.options.queue_size)
        self.counts = {"received": 0, "ok": 0, "skipped": 0, "error": 0}
        self._lock = threading.Lock()
        self._server = None
        self._worker = threading.Thread(target=self._analyse_loop, name="cardioview-analysis", daemon=True)

    # -- network side -------------------------------------------------------------------------
    def start(self) -> None:
        ae = AE(ae_title=self.options.ae_title)
        ae.supported_contexts = AllStoragePresentationContexts
        ae.add_supported_context(Verification)
        ae.maximum_pdu_size = 0
        ae.network_timeout = ae.dimse_timeout = ae.acse_timeout = 60
        handlers = [(evt.EVT_C_STORE, self._on_store)]
        try:
            self._server = ae.start_server((self.options.host, self.options.port), block=False,
                                           evt_handlers=handlers)
        except OSError as exc:
            raise CardioViewError(f"cannot listen on port {self.options.port}: {exc.strerror or exc}") from None
        self._worker.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self.options.port

    def _on_store(self, event) -> int:
        with self._lock:
            self.counts["received"] += 1
            number = self.counts["received"]
        try:
            ds = event.dataset
            ds.file_meta = event.file_meta
            sop_uid = str(ds.SOPInstanceUID)
            reason = skip_reason(ds)
            buffer = io.BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            data = buffer.getvalue()
        except Exception as exc:  # a malformed dataset: it gets a row, and the listener goes on
            self._put(Row(path=f"received #{number}", status="error",
                          error=f"received #{number}: malformed dataset ({type(exc).__name__})"))
            return 0xC210
        try:
            # named by arrival number: SOP UIDs may collide on resends and names must not identify
            path = atomic_write_bytes(unique_path(self.received_dir, f"{number:06d}", suffix=".dcm"), data)
        except OSError as exc:
            self._put(Row(path=f"received #{number}", status="error", error=f"cannot store: {exc.strerror or exc}"))
            return 0xA700
        self._put((path, reason, sop_uid))
        return 0x0000

    def _put(self, item) -> None:
        # back-pressure: a full queue delays our C-STORE answer instead of dropping an image
        self.queue.put(item)

    # -- analysis side ------------------------------------------------------------------------
    def _analyse_loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            try:
                row = item if isinstance(item, Row) else self._analyse(*item)
            except Exception as exc:  # never let one image stop the thread
                row = Row(path=str(item[0]) if isinstance(item, tuple) else "?", status="error",
                          error=f"unexpected {type(exc).__name__}: {exc}")
            self._record(row)

    def _record(self, row: Row) -> None:
        try:
            self.results.append(row)
        except OSError as exc:
            log.error("cannot append to %s: %s", self.results.path, exc.strerror or exc)
        with self._lock:
            self.counts[row.status if row.status in self.counts else "error"] += 1

    def _analyse(self, path: Path, reason: str, sop_uid: str) -> Row:
        if reason:
            return Row(path=str(path), status="skipped", error=f"{path.name}: {reason}")
        from cardioview.imaging import load

        try:
            xray = load(path)
            prediction = self.predictor.predict(xray).for_xray(xray)
        except CardioViewError as exc:
            return Row(path=str(path), status="error", error=str(exc))
        if not prediction.applicable:  # e.g. a chest-tagged film whose pixels are not a radiograph
            return Row(path=str(path), status="skipped", error=f"{path.name}: {prediction.not_applicable}")
        notes: list[str] = []
        if self.options.dicom_results or self.options.forward is not None:
            try:
                notes += self._results_dicom(path, xray, prediction)
            except Exception as exc:
                notes.append(f"DICOM results not written ({type(exc).__name__}: {exc})")
        if self.options.reports:
            try:
                self._write_report(path, xray, prediction)
            except Exception as exc:  # the row still records the result
                notes.append(f"report not written ({type(exc).__name__}: {exc})")
        return Row.from_prediction(path, prediction, notes)

    def _write_report(self, path: Path, xray, prediction) -> Path:
        """The PNG report of ``cardioview predict``, named by arrival number like the received file."""
        from cardioview.predict_cli import write_report_png

        self.reports_dir.mkdir(parents=True, exist_ok=True)
        return write_report_png(self.reports_dir, path.stem, xray, prediction, opacity=self.options.opacity,
                                deidentify=self.options.deidentify)

    def _results_dicom(self, path: Path, xray, prediction) -> list[str]:
        from cardioview.network.dicom_results import build_results, write_results

        objects = build_results(xray, prediction, deidentify=self.options.deidentify,
                                weights_sha256=self.predictor.bundle.manifest.get("model_sha256", ""),
                                opacity=self.options.opacity)
        write_results(self.dicom_dir, objects, path.stem)
        if self.options.forward is None:
            return []
        try:
            send_results(self.options.forward, [objects.sc, objects.sr], self.options.ae_title)
        except CardioViewError as exc:
            return [f"forward failed: {exc}"]
        return [f"results sent to {self.options.forward.name}"]

    def stop(self, drain: bool = True) -> None:
        """Stop accepting, finish (``drain``) what was received, stop the thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if not drain:
            while not self.queue.empty():
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break
        if self._worker.is_alive():
            self.queue.put(_STOP)
            self._worker.join()

    def wait_idle(self, expected: int, timeout: float) -> bool:
        """Block until ``expected`` rows were written (tests, benchmarks)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.counts["ok"] + self.counts["skipped"] + self.counts["error"] >= expected:
                    return True
            time.sleep(0.05)
        return False


def send_results(node: Node, datasets: list[Dataset], local_ae: str) -> None:
    """C-STORE (DIMSE node) or STOW-RS (DICOMweb-only node) of result objects."""
    if node.has_dimse:
        from cardioview.network.dimse import store

        store(node, datasets, local_ae=local_ae)
    else:
        from cardioview.network.dicomweb import stow

        stow(node, datasets)

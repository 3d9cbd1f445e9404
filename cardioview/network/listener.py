"""The listener: a Storage SCP that triages chest films as they arrive.

Network side: only the classes the node analyses are offered, in every syntax it decodes
(:mod:`contexts`); the called AE title is checked, ``allow`` rules admit the listed peers
only, TLS and the timeouts guard the sockets (:mod:`peers`), and at most
``max_associations`` run at once. Each film is written to ``out/received/`` (:mod:`inbox`)
only once it can be queued, then answered Success; a full queue or a disk under the
free-space floor is answered at once with 0xA700 (out of resources). A SOP Instance the
node already holds is answered Success and not stored again (a sender's resend).

Analysis side: one thread analyses the queue (:mod:`triage`): exactly one row per film in
``out/results.csv`` (the columns of ``cardioview predict``). After a crash, the films that
were received but have no row are queued again on the next start. Every object and every
refused association leaves one line in ``out/audit.jsonl`` (no patient data).
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pynetdicom import AE, evt

from cardioview.errors import CardioViewError
from cardioview.network.audit import AuditLog
from cardioview.network.contexts import supported_contexts
from cardioview.network.inbox import Inbox, private_folder
from cardioview.network.nodes import Node
from cardioview.network.peers import GuardedServer, PeerRule, peer_allowed
from cardioview.network.triage import Outputs, analyse_film, send_results  # noqa: F401  (re-exported)
from cardioview.results.results_csv import ResultsFile, Row

log = logging.getLogger("cardioview.listen")

_STOP = object()
#: Seconds between retention sweeps of received/ (also done at start).
RETENTION_INTERVAL_S = 3600.0
#: Analyses of one film the process may die in before the film gets an error row instead of a retry.
MAX_ATTEMPTS = 2
STATUSES = ("ok", "unsuitable", "incomplete", "error")


@dataclass
class ListenerOptions:
    ae_title: str = "CARDIOVIEW"
    port: int = 11112
    host: str = "127.0.0.1"  # loopback unless the site names the interface to listen on
    forward: Node | None = None
    dicom_results: bool = True  # write the SC, SR and SEG (needed for --forward)
    deidentify: bool = False
    queue_size: int = 1024  # films received and not yet analysed; beyond it stores get 0xA700
    opacity: float = 0.2
    reports: bool = False  # annotated PNG report per analysed film, in out/reports/
    allow: tuple[PeerRule, ...] = ()  # calling AE[@host] admitted; empty: any
    tls: ssl.SSLContext | None = None
    acse_timeout: float = 30.0  # association request/release
    network_timeout: float = 60.0  # silence on an open connection (including mid-PDU)
    dimse_timeout: float = 60.0
    max_associations: int = 8
    min_free_mb: float = 0.0  # refuse stores when received/ has less free space
    retain_days: float | None = None  # delete analysed films from received/ after this long


class Listener:
    """Storage SCP + one analysis thread. ``start()``, then ``stop()`` (drains the queue first)."""

    def __init__(self, predictor, out: str | Path, options: ListenerOptions | None = None):
        self.predictor = predictor
        self.options = options or ListenerOptions()
        self.out = private_folder(Path(out))
        self.inbox = Inbox(self.out / "received", self.options.min_free_mb, self.options.retain_days)
        self.results = ResultsFile(self.out)
        self.audit = AuditLog(self.out)
        self.outputs = Outputs(
            self.out / "dicom",
            self.out / "reports",
            self.options.dicom_results,
            self.options.forward,
            self.options.reports,
            self.options.deidentify,
            self.options.opacity,
            self.options.ae_title,
        )
        self.queue: queue.Queue = queue.Queue()
        self.counts = {"received": 0, "recovered": 0, "refused": 0, "duplicate": 0, **dict.fromkeys(STATUSES, 0)}
        self._pending = 0  # queued and not yet recorded
        self._known: set[str] = set()  # SOP Instance UIDs received (pending or recorded without error)
        self._recorded: set[str] = set()
        # the films analysed since start (comparison.films.FilmRecord): each later film of a patient is
        # compared with its prior among them, as predict does (issue 23); only the analysis thread touches it
        self.films: list = []
        self._lock = threading.Lock()
        self._server = None
        self._last_retention = 0.0
        self._worker = threading.Thread(target=self._analyse_loop, name="cardioview-analysis", daemon=True)

    # -- start: recovery, then the server ------------------------------------------------------
    def recover(self) -> list[Path]:
        """Queue every received film without a result row (a crash came between store and row)."""
        for row in self.results.read():
            self._recorded.add(row["path"])
            if row.get("status") != "error" and row.get("sop_instance_uid"):
                self._known.add(row["sop_instance_uid"])
        films = []
        for path in self.inbox.unfinished(self._recorded):
            uids = _header_uids(path)
            if self.inbox.attempts(path) >= MAX_ATTEMPTS:  # it took the listener down: not a third time
                self._record(
                    Row.failed(
                        path,
                        f"{path.name}: analysis interrupted {MAX_ATTEMPTS} times (the "
                        "listener stopped during it); not retried",
                        uids,
                    )
                )
                self.inbox.end_attempt(path)
                continue
            films.append(path)
            if uids[0]:
                self._known.add(uids[0])
            with self._lock:
                self._pending += 1
                self.counts["recovered"] += 1
            self.queue.put((path, uids))
            self.audit.record(
                "recovery", "queued again after a restart", sop_instance_uid=uids[0], arrival=self.inbox.number(path)
            )
        self._expire()
        return films

    def start(self) -> None:
        recovered = self.recover()
        if recovered or self.inbox.swept:
            log.warning(
                "%d film(s) received before the last stop had no result and are analysed now; "
                "%d stale temporary file(s) removed",
                len(recovered),
                self.inbox.swept,
            )
        o = self.options
        ae = AE(ae_title=o.ae_title)
        ae.supported_contexts = supported_contexts()
        ae.require_called_aet = True
        ae.maximum_associations = o.max_associations
        ae.maximum_pdu_size = 0
        ae.acse_timeout, ae.network_timeout, ae.dimse_timeout = o.acse_timeout, o.network_timeout, o.dimse_timeout
        handlers = [
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_REQUESTED, self._on_requested),
            (evt.EVT_REJECTED, self._on_rejected),
        ]
        try:
            self._server = ae.make_server(
                (o.host, o.port), ssl_context=o.tls, evt_handlers=handlers, server_class=GuardedServer
            )
        except OSError as exc:
            raise CardioViewError(f"cannot listen on {o.host}:{o.port}: {exc.strerror or exc}") from None
        ae._servers.append(self._server)  # as AE.start_server does: shutdown() removes it again
        threading.Thread(target=self._server.serve_forever, name="cardioview-scp", daemon=True).start()
        self._worker.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self.options.port

    @property
    def address(self) -> str:
        """``host:port`` actually bound."""
        host = self._server.server_address[0] if self._server else self.options.host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    # -- network side -------------------------------------------------------------------------
    def _on_requested(self, event) -> None:
        """Reject a calling AE (or its host) the allow list does not name, before anything is negotiated."""
        assoc = event.assoc
        calling = str(assoc.requestor.primitive.calling_ae_title).strip()
        address = str(assoc.requestor.address)
        if peer_allowed(self.options.allow, calling, address):
            return
        assoc.acse.send_reject(0x01, 0x01, 0x03)  # rejected permanent, service user, calling AE not recognised
        self.audit.record("association", "rejected: calling AE/host not in --allow", calling, address)
        log.warning("association from %s at %s rejected: not in --allow", calling, address)
        assoc.kill()

    def _on_rejected(self, event) -> None:
        """pynetdicom's own rejections: a wrong called AE title, too many associations."""
        assoc = event.assoc
        primitive = assoc.acceptor.primitive
        reason = {0x07: "called AE title not ours", 0x02: "too many associations"}.get(
            getattr(primitive, "diagnostic", 0), "refused"
        )
        calling = str(getattr(assoc.requestor.primitive, "calling_ae_title", "")).strip()
        self.audit.record("association", f"rejected: {reason}", calling, str(assoc.requestor.address))
        log.warning("association from %s at %s rejected: %s", calling, assoc.requestor.address, reason)

    def _on_store(self, event) -> int:
        calling = str(event.assoc.requestor.ae_title).strip()
        peer = str(event.assoc.requestor.address)
        sop_uid = str(getattr(event.request, "AffectedSOPInstanceUID", "") or "")

        def refuse(status: int, outcome: str) -> int:
            with self._lock:
                self.counts["refused"] += 1
            self.audit.record("store", outcome, calling, peer, sop_uid)
            return status

        try:
            study_uid = str(event.dataset.get("StudyInstanceUID", ""))
        except Exception as exc:  # a dataset that does not decode: refused, with a row that says so
            number = self.inbox.next_number()
            self._record(
                Row.failed(
                    f"received #{number}",
                    f"received #{number}: malformed dataset ({type(exc).__name__})",
                    (sop_uid, ""),
                )
            )
            return refuse(0xC210, f"refused: malformed dataset ({type(exc).__name__})")
        with self._lock:
            duplicate = bool(sop_uid) and sop_uid in self._known
            full = self._pending >= self.options.queue_size
            if not duplicate and not full:
                self._pending += 1  # the slot is ours before anything is written
        if duplicate:
            with self._lock:
                self.counts["duplicate"] += 1
            self.audit.record("store", "duplicate: already received, not stored again", calling, peer, sop_uid)
            return 0x0000
        if full:
            log.warning("queue full (%d films): store from %s refused", self.options.queue_size, calling)
            return refuse(0xA700, "refused: queue full")
        try:
            if not self.inbox.has_room():
                raise OSError(f"free space below --min-free-mb {self.options.min_free_mb:g}")
            number = self.inbox.next_number()
            path = self.inbox.store(number, event.encoded_dataset())
        except OSError as exc:
            with self._lock:
                self._pending -= 1
            log.error("cannot store a film from %s: %s", calling, exc.strerror or exc)
            return refuse(0xA700, f"refused: cannot store ({exc.strerror or exc})")
        with self._lock:
            self._known.add(sop_uid)
            self.counts["received"] += 1
        self.queue.put((path, (sop_uid, study_uid)))
        self.audit.record("store", "stored and queued", calling, peer, sop_uid, number)
        return 0x0000

    # -- analysis side ------------------------------------------------------------------------
    def _analyse_loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            path, uids = item
            self.inbox.begin_attempt(path)
            row = analyse_film(self.predictor, path, self.outputs, uids, self.films)
            self._record(row)
            self.inbox.end_attempt(path)
            with self._lock:
                self._pending -= 1
                if row.status == "error":
                    self._known.discard(uids[0])  # a resend may succeed where this copy failed
            self.audit.record(
                "analysis",
                row.status,
                sop_instance_uid=row.sop_instance_uid or uids[0],
                arrival=self.inbox.number(path),
            )
            if time.monotonic() - self._last_retention > RETENTION_INTERVAL_S:
                self._expire()

    def _record(self, row: Row) -> None:
        try:
            self.results.append(row)
        except OSError as exc:
            log.error("cannot append to %s: %s", self.results.path, exc.strerror or exc)
        with self._lock:
            self._recorded.add(row.path)
            self.counts[row.status if row.status in self.counts else "error"] += 1

    def _expire(self) -> None:
        self._last_retention = time.monotonic()
        with self._lock:
            recorded = set(self._recorded)
        removed = self.inbox.expire(recorded)
        if removed:
            log.warning(
                "retention: %d analysed film(s) older than %g days removed from %s",
                removed,
                self.options.retain_days,
                self.inbox.folder,
            )

    def stop(self, drain: bool = True) -> None:
        """Stop accepting, finish (``drain``) what was received, stop the thread.

        Without ``drain`` the films left in the queue stay in received/ and are analysed on the next start.
        """
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if not drain:
            while True:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break
        if self._worker.is_alive():
            self.queue.put(_STOP)
            self._worker.join()

    def wait_idle(self, expected: int, timeout: float) -> bool:
        """Block until ``expected`` rows were written (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if sum(self.counts[s] for s in STATUSES) >= expected:
                    return True
            time.sleep(0.05)
        return False


def _header_uids(path: Path) -> tuple[str, str]:
    """(SOP, Study Instance UID) of a received file; ('', '') when it does not read (its row will say why)."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID", "StudyInstanceUID"])
        return str(ds.get("SOPInstanceUID", "")), str(ds.get("StudyInstanceUID", ""))
    except Exception:
        return "", ""

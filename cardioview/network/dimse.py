"""DIMSE with pynetdicom: C-ECHO, C-FIND (study/series), C-GET and C-MOVE into the cache, C-STORE.

Every failure is a :class:`PacsError` whose one-line message says what went wrong
(nothing listens, no answer in time, association refused and why, a status code).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import UID
from pynetdicom import AE, build_role, evt
from pynetdicom.presentation import StoragePresentationContexts
from pynetdicom.sop_class import (
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from cardioview.atomic import atomic_write_bytes
from cardioview.errors import CardioViewError
from cardioview.network.cache import StudyCache
from cardioview.network.nodes import DEFAULT_AE_TITLE, Node
from cardioview.network.reactor import reactor_parked

# pynetdicom logs whole identifiers (patient names) at debug/info level: keep them out of logs.
logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)

DEFAULT_TIMEOUT = 10.0
#: Storage classes a chest-film retrieval asks for (C-GET needs them as SCP roles; the limit is 128 contexts).
RETRIEVE_CLASSES = [cx.abstract_syntax for cx in StoragePresentationContexts][:120]
STUDY_KEYS = (
    "PatientID",
    "PatientName",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "StudyDescription",
    "ModalitiesInStudy",
    "NumberOfStudyRelatedInstances",
    "StudyInstanceUID",
)
SERIES_KEYS = (
    "Modality",
    "SeriesNumber",
    "SeriesDescription",
    "NumberOfSeriesRelatedInstances",
    "SeriesInstanceUID",
    "StudyInstanceUID",
    "BodyPartExamined",
)


class PacsError(CardioViewError):
    """A network operation that failed; the message names the node and the reason."""


class Cancelled(PacsError):
    """The user cancelled."""


@dataclass(frozen=True)
class StudyQuery:
    """What to search for; '' matches anything. Dates are YYYYMMDD."""

    patient_id: str = ""
    patient_name: str = ""
    date_from: str = ""
    date_to: str = ""
    modalities: tuple[str, ...] = ("CR", "DX")
    accession: str = ""

    def identifier(self, level: str = "STUDY", study_uid: str = "") -> Dataset:
        ds = Dataset()
        ds.QueryRetrieveLevel = level
        for key in STUDY_KEYS if level == "STUDY" else SERIES_KEYS:
            setattr(ds, key, "")
        if level == "STUDY":
            ds.PatientID = self.patient_id
            ds.PatientName = self.patient_name
            ds.AccessionNumber = self.accession
            if self.date_from or self.date_to:
                ds.StudyDate = f"{self.date_from}-{self.date_to}"
            ds.ModalitiesInStudy = "\\".join(self.modalities)
        else:
            ds.StudyInstanceUID = study_uid
            if len(self.modalities) == 1:
                ds.Modality = self.modalities[0]
        return ds


def _ae(local_ae: str, timeout: float) -> AE:
    ae = AE(ae_title=local_ae or DEFAULT_AE_TITLE)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    return ae


def _reach(node: Node, timeout: float) -> None:
    """Tell 'nothing listens' and 'no answer' apart before DICOM muddles them into 'aborted'."""
    if not node.has_dimse:
        raise PacsError(f"{node.name}: no DIMSE address (AE title, host, port) configured")
    try:
        socket.create_connection((node.host, node.port), timeout=timeout).close()
    except TimeoutError:
        raise PacsError(f"{node.name}: no answer from {node.host}:{node.port} within {timeout:g} s") from None
    except ConnectionRefusedError:
        raise PacsError(f"{node.name}: nothing listens at {node.host}:{node.port} (connection refused)") from None
    except OSError as exc:
        raise PacsError(f"{node.name}: cannot reach {node.host}:{node.port} ({exc.strerror or exc})") from None


def _associate(ae: AE, node: Node, timeout: float, **kwargs):
    _reach(node, timeout)
    assoc = ae.associate(node.host, node.port, ae_title=node.ae_title, **kwargs)
    if assoc.is_established:
        return assoc
    if assoc.is_rejected:
        rsp = getattr(assoc.acceptor, "primitive", None)
        reason = getattr(rsp, "reason_str", "") or "no reason given"
        raise PacsError(
            f"{node.name}: association refused by {node.ae_title}@{node.host}:{node.port}: {reason}"
            " (check the called AE title and that the PACS knows our AE title)"
        )
    if assoc.rejected_contexts:  # every context refused: pynetdicom aborted; say which and why
        raise PacsError(
            f"{node.name}: {node.ae_title}@{node.host}:{node.port} accepted none of our presentation "
            f"contexts: {_refused(assoc.rejected_contexts)}"
        )
    raise PacsError(
        f"{node.name}: association with {node.ae_title}@{node.host}:{node.port} failed "
        f"(aborted or no answer within {timeout:g} s)"
    )


def _refused(contexts) -> str:
    """'CR Image Storage in JPEG Lossless SV1 (1.2...70): transfer syntax not supported; ...'"""
    from cardioview.network.contexts import syntax_name

    parts = []
    for cx in contexts:
        reason = {0x03: "SOP class not supported", 0x04: "transfer syntax not supported"}.get(cx.result, cx.status)
        syntaxes = ", ".join(syntax_name(ts) for ts in cx.transfer_syntax)
        parts.append(f"{UID(cx.abstract_syntax).name} in {syntaxes}: {reason}")
    return "; ".join(parts)


def echo(node: Node, local_ae: str = DEFAULT_AE_TITLE, timeout: float = DEFAULT_TIMEOUT) -> None:
    """C-ECHO; returns when the node answered with Success."""
    ae = _ae(local_ae, timeout)
    ae.add_requested_context(Verification)
    assoc = _associate(ae, node, timeout)
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    _check(node, "C-ECHO", status)


def _check(node: Node, what: str, status: Dataset | None) -> None:
    if status is None or "Status" not in status:
        raise PacsError(f"{node.name}: {what}: no response within the timeout, or the association was aborted")
    if status.Status not in (0x0000, 0xFF00, 0xFF01, 0xB000, 0xB006, 0xB007):
        raise PacsError(
            f"{node.name}: {what} failed with status 0x{status.Status:04X}"
            + (f" ({status.ErrorComment})" if "ErrorComment" in status else "")
        )


def find(
    node: Node,
    query: StudyQuery | Dataset,
    level: str = "STUDY",
    study_uid: str = "",
    local_ae: str = DEFAULT_AE_TITLE,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: threading.Event | None = None,
) -> list[Dataset]:
    """C-FIND at STUDY or SERIES level (Study Root). Returns the matches' identifiers."""
    identifier = query if isinstance(query, Dataset) else query.identifier(level, study_uid)
    ae = _ae(local_ae, timeout)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_requested_context(PatientRootQueryRetrieveInformationModelFind)
    assoc = _associate(ae, node, timeout)
    matches: list[Dataset] = []
    try:
        for status, ds in assoc.send_c_find(identifier, StudyRootQueryRetrieveInformationModelFind):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"{node.name}: search cancelled")
            _check(node, "C-FIND", status)
            if status.Status in (0xFF00, 0xFF01) and ds is not None:
                matches.append(ds)
    finally:
        assoc.release()
    return matches


def _retrieve_identifier(study_uid: str, series_uid: str = "") -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES" if series_uid else "STUDY"
    ds.StudyInstanceUID = study_uid
    if series_uid:
        ds.SeriesInstanceUID = series_uid
    return ds


class _Receiver:
    """Writes each incoming C-STORE into the cache; counts, reports progress, honours cancel."""

    def __init__(
        self, cache: StudyCache, study_uid: str, progress: Callable[[int], None] | None, cancel: threading.Event | None
    ):
        self.cache, self.study_uid, self.progress, self.cancel = cache, study_uid, progress, cancel
        self.paths: list[Path] = []
        self.lock = threading.Lock()

    def __call__(self, event) -> int:
        if self.cancel is not None and self.cancel.is_set():
            return 0xA700  # refuse: the user no longer wants it
        try:
            ds = event.dataset
            ds.file_meta = event.file_meta
            path = self.cache.path_for(self.study_uid, str(ds.SOPInstanceUID))
            if not path.exists():
                from io import BytesIO

                buffer = BytesIO()
                ds.save_as(buffer, enforce_file_format=True)
                atomic_write_bytes(path, buffer.getvalue())
        except Exception:
            return 0xC210  # cannot understand
        with self.lock:
            self.paths.append(path)
            if self.progress:
                self.progress(len(self.paths))
        return 0x0000


def get(
    node: Node,
    study_uid: str,
    cache: StudyCache,
    series_uid: str = "",
    local_ae: str = DEFAULT_AE_TITLE,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[Path]:
    """C-GET a study (or one series) into ``cache``; returns the files received."""
    ae = _ae(local_ae, timeout)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    for uid in RETRIEVE_CLASSES:
        ae.add_requested_context(uid)
    roles = [build_role(uid, scp_role=True) for uid in RETRIEVE_CLASSES]
    receiver = _Receiver(cache, study_uid, progress, cancel)
    assoc = _associate(ae, node, timeout, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, receiver)])
    try:
        _run_retrieve(
            node,
            "C-GET",
            assoc.send_c_get(_retrieve_identifier(study_uid, series_uid), StudyRootQueryRetrieveInformationModelGet),
            assoc,
            cancel,
        )
    finally:
        if assoc.is_established:
            assoc.release()
    cache.trim(keep={cache.study_dir(study_uid)})
    return receiver.paths


def _run_retrieve(node: Node, what: str, responses, assoc, cancel: threading.Event | None) -> None:
    last = None
    for status, _ in responses:
        if cancel is not None and cancel.is_set():
            assoc.abort()
            raise Cancelled(f"{node.name}: retrieval cancelled")
        last = status
        if status is not None and "Status" in status and status.Status not in (0xFF00, 0x0000, 0xB000):
            _check(node, what, status)
    _check(node, what, last)


def move(
    node: Node,
    study_uid: str,
    cache: StudyCache,
    local_ae: str = DEFAULT_AE_TITLE,
    local_port: int = 11112,
    series_uid: str = "",
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[Path]:
    """C-MOVE a study to our own Storage SCP (started on ``local_port`` for the duration) and into ``cache``.

    The PACS must know ``local_ae`` with our host and ``local_port`` (its modality list).
    """
    receiver = _Receiver(cache, study_uid, progress, cancel)
    scp = _ae(local_ae, timeout)
    scp.supported_contexts = StoragePresentationContexts
    try:
        server = scp.start_server(("0.0.0.0", local_port), block=False, evt_handlers=[(evt.EVT_C_STORE, receiver)])
    except OSError as exc:
        raise PacsError(f"cannot listen on port {local_port} for the C-MOVE ({exc.strerror or exc})") from None
    try:
        ae = _ae(local_ae, timeout)
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        assoc = _associate(ae, node, timeout)
        try:
            _run_retrieve(
                node,
                "C-MOVE",
                assoc.send_c_move(
                    _retrieve_identifier(study_uid, series_uid), local_ae, StudyRootQueryRetrieveInformationModelMove
                ),
                assoc,
                cancel,
            )
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        server.shutdown()
    cache.trim(keep={cache.study_dir(study_uid)})
    return receiver.paths


def store(
    node: Node,
    items: Iterable[Dataset | str | Path],
    local_ae: str = DEFAULT_AE_TITLE,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """C-STORE datasets or files on one association; returns how many were stored."""
    datasets = [item if isinstance(item, Dataset) else dcmread(item) for item in items]
    if not datasets:
        return 0
    ae = _ae(local_ae, timeout)
    for sop_class in sorted({str(ds.SOPClassUID) for ds in datasets}):
        syntaxes = sorted(
            {
                str(ds.file_meta.TransferSyntaxUID)
                for ds in datasets
                if str(ds.SOPClassUID) == sop_class and "TransferSyntaxUID" in getattr(ds, "file_meta", {})
            }
        )
        ae.add_requested_context(sop_class, syntaxes or None)
    assoc = _associate(ae, node, timeout)
    try:
        accepted = {(str(cx.abstract_syntax), str(cx.transfer_syntax[0])) for cx in assoc.accepted_contexts}
        with reactor_parked(assoc):
            _store_each(node, assoc, datasets, accepted)
    finally:
        if assoc.is_established:
            assoc.release()
    return len(datasets)


def _store_each(node: Node, assoc, datasets: list[Dataset], accepted: set[tuple[str, str]]) -> None:
    for ds in datasets:
        pair = (str(ds.SOPClassUID), str(getattr(ds, "file_meta", {}).get("TransferSyntaxUID", "")))
        if pair[1] and pair not in accepted:
            refused = [cx for cx in assoc.rejected_contexts if str(cx.abstract_syntax) == pair[0]]
            raise PacsError(
                f"{node.name}: {node.ae_title} refused "
                + (_refused(refused) if refused else f"{UID(pair[0]).name} in {pair[1]}")
            )
        _check(node, "C-STORE", assoc.send_c_store(ds))

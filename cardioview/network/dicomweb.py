"""DICOMweb with dicomweb-client: QIDO-RS search, WADO-RS retrieval into the cache, STOW-RS."""

from __future__ import annotations

import threading
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from pydicom.dataset import Dataset

from cardioview.atomic import atomic_write_bytes
from cardioview.network.cache import StudyCache
from cardioview.network.dimse import Cancelled, PacsError, StudyQuery
from cardioview.network.nodes import Node

DEFAULT_TIMEOUT = 10.0


def _client(node: Node, timeout: float):
    if not node.dicomweb_url:
        raise PacsError(f"{node.name}: no DICOMweb URL configured")
    import requests
    from dicomweb_client.api import DICOMwebClient

    session = requests.Session()
    session.request = _with_timeout(session.request, timeout)
    client = DICOMwebClient(url=node.dicomweb_url, session=session)
    # its default retries with exponential back-off turn "server down" into half a minute of silence
    client.set_http_retry_params(retry=False)
    return client


def _with_timeout(request, timeout: float):
    def call(*args, **kwargs):
        kwargs.setdefault("timeout", timeout)
        return request(*args, **kwargs)

    return call


def _call(node: Node, what: str, fn, *args, **kwargs):
    import requests

    try:
        return fn(*args, **kwargs)
    except requests.exceptions.Timeout:
        raise PacsError(f"{node.name}: {what}: no answer from {node.dicomweb_url} in time") from None
    except requests.exceptions.ConnectionError:
        raise PacsError(f"{node.name}: {what}: cannot connect to {node.dicomweb_url}") from None
    except requests.exceptions.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        raise PacsError(f"{node.name}: {what} refused with HTTP {code}") from None


def search(
    node: Node, query: StudyQuery, level: str = "STUDY", study_uid: str = "", timeout: float = DEFAULT_TIMEOUT
) -> list[Dataset]:
    """QIDO-RS at study or series level; results as pydicom Datasets (like :func:`dimse.find`)."""
    client = _client(node, timeout)
    filters: dict[str, str] = {}
    if level == "STUDY":
        for key, value in (
            ("PatientID", query.patient_id),
            ("PatientName", query.patient_name),
            ("AccessionNumber", query.accession),
        ):
            if value:
                filters[key] = value
        if query.date_from or query.date_to:
            filters["StudyDate"] = f"{query.date_from}-{query.date_to}"
        if query.modalities:
            filters["ModalitiesInStudy"] = ",".join(query.modalities)
        found = _call(
            node,
            "QIDO-RS",
            client.search_for_studies,
            search_filters=filters,
            fields=["PatientName", "StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedInstances"],
        )
    else:
        found = _call(
            node,
            "QIDO-RS",
            client.search_for_series,
            study_instance_uid=study_uid,
            fields=["SeriesDescription", "BodyPartExamined", "NumberOfSeriesRelatedInstances"],
        )
    return [Dataset.from_json(item) for item in found]


def retrieve(
    node: Node,
    study_uid: str,
    cache: StudyCache,
    series_uid: str = "",
    timeout: float = 60.0,
    progress: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[Path]:
    """WADO-RS a study (or a series) into ``cache``, instance by instance; returns the files."""
    client = _client(node, timeout)
    if series_uid:
        iterator = _call(node, "WADO-RS", client.iter_series, study_uid, series_uid)
    else:
        iterator = _call(node, "WADO-RS", client.iter_study, study_uid)
    paths: list[Path] = []
    for ds in _iterate(node, iterator):
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"{node.name}: retrieval cancelled")
        path = cache.path_for(study_uid, str(ds.SOPInstanceUID))
        if not path.exists():
            buffer = BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            atomic_write_bytes(path, buffer.getvalue())
        paths.append(path)
        if progress:
            progress(len(paths))
    cache.trim(keep={cache.study_dir(study_uid)})
    return paths


def _iterate(node: Node, iterator):
    while True:
        try:
            item = _call(node, "WADO-RS", next, iterator)
        except StopIteration:
            return
        yield item


def stow(node: Node, datasets: list[Dataset], timeout: float = DEFAULT_TIMEOUT) -> int:
    """STOW-RS; returns how many were stored (a partial failure is a PacsError)."""
    client = _client(node, timeout)
    response = _call(node, "STOW-RS", client.store_instances, datasets=list(datasets))
    failed = response.get("00081198", {}).get("Value", []) if response is not None else []
    if failed:
        raise PacsError(f"{node.name}: STOW-RS refused {len(failed)} of {len(datasets)} object(s)")
    return len(datasets)

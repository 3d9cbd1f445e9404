"""Find a patient's earlier chest films on a PACS (issue 23): C-FIND (or QIDO-RS) by Patient ID, CR/DX only.

Retrieval into the cache is the same as for any study (gui.pacs_dialog.retrieve: C-GET, C-MOVE or WADO-RS).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from pydicom.dataset import Dataset

from cardioview.network.dimse import StudyQuery
from cardioview.network.nodes import DEFAULT_AE_TITLE, Node

CHEST_MODALITIES = ("CR", "DX")


def find_prior_studies(
    node: Node,
    patient_id: str,
    before: str = "",
    exclude: Iterable[str] = (),
    local_ae: str = DEFAULT_AE_TITLE,
    cancel: threading.Event | None = None,
) -> list[Dataset]:
    """The patient's CR/DX studies on ``node``, newest first.

    Args:
        patient_id: matched exactly (never a name: two patients can share one).
        before: YYYYMMDD; only studies on or before that date (the current film's), '' for all.
        exclude: Study Instance UIDs already open (the current study among them).

    Returns:
        The study-level identifiers (StudyInstanceUID, StudyDate, ModalitiesInStudy...).
    """
    if not patient_id:
        raise ValueError("a prior search needs the Patient ID")
    query = StudyQuery(patient_id=patient_id, date_to=before, modalities=CHEST_MODALITIES)
    if node.has_dimse:
        from cardioview.network.dimse import find

        matches = find(node, query, local_ae=local_ae, cancel=cancel)
    else:
        from cardioview.network.dicomweb import search

        matches = search(node, query)
    skip = set(exclude)
    studies = [
        ds
        for ds in matches
        if str(ds.get("PatientID", "")) == patient_id
        and str(ds.get("StudyInstanceUID", "")) not in skip
        and _chest_modality(ds)
    ]
    return sorted(studies, key=lambda ds: (str(ds.get("StudyDate", "")), str(ds.get("StudyTime", ""))), reverse=True)


def _chest_modality(ds: Dataset) -> bool:
    """True unless the PACS says the study holds no CR/DX (some PACS ignore the ModalitiesInStudy filter)."""
    value = ds.get("ModalitiesInStudy", "")
    modalities = (
        {str(v) for v in value}
        if isinstance(value, (list, tuple)) or getattr(value, "VM", 1) > 1
        else {str(value)} - {""}
    )
    return not modalities or bool(modalities & set(CHEST_MODALITIES))

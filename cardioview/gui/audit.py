"""The audit log: one JSON object per line, in the platform's log folder.

Records what was analysed, exported (PNG, DICOM SC/SR), sent to or retrieved from a PACS, never who:
images are named by their DICOM SOP Instance UID or, for other files, the sha256 of the file; network
records add the peer (AE@host:port or URL) and the outcome.
``CARDIOVIEW_LOG_DIR`` moves the folder (tests use a temporary one).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from platformdirs import user_log_dir

from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction

LOG_NAME = "audit.jsonl"


def log_dir() -> Path:
    override = os.environ.get("CARDIOVIEW_LOG_DIR")
    if override:
        return Path(override)

    return Path(user_log_dir("CardioView", appauthor=False))


def image_reference(xray: XRay) -> dict[str, str]:
    """A non-identifying reference to the image: its SOP Instance UID, else its file's sha256."""
    uid = xray.metadata.sop_instance_uid
    if uid:
        return {"sop_instance_uid": uid}
    digest = hashlib.sha256()
    try:
        with open(xray.source, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    except OSError:
        return {"file_sha256": ""}
    return {"file_sha256": digest.hexdigest()}


class AuditLog:
    """Appends audit records; a failing disk never interrupts the viewer."""

    def __init__(self, folder: Path | None = None):
        self.path = (folder or log_dir()) / LOG_NAME
        self._lock = threading.Lock()
        self._refs: dict[str, dict[str, str]] = {}

    def record(
        self,
        action: str,
        xray: XRay | None = None,
        prediction: Prediction | None = None,
        reference: dict[str, str] | None = None,
        **extra,
    ) -> dict:
        """Append one record and return it.

        Args:
            action: what happened, e.g. "analyse", "export".
            xray: the image concerned (named by UID or hash, never by patient).
            prediction: adds model id, probability and threshold.
            reference: the image's reference when already known (see :func:`image_reference`).
            extra: further plain, non-identifying fields (e.g. ``export_sha256=...``).
        """
        entry: dict = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "action": action}
        if xray is not None:
            key = str(xray.source)
            if reference is not None:
                self._refs[key] = reference
            elif key not in self._refs:
                self._refs[key] = image_reference(xray)
            entry.update(self._refs[key])
        elif reference is not None:
            entry.update(reference)
        if prediction is not None:
            entry.update(
                model=prediction.model_id,
                probability=round(float(prediction.probability), 4),
                threshold=round(float(prediction.threshold), 4),
            )
        entry.update(extra)
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
            except OSError:
                pass  # the audit trail is best effort; the viewer keeps working
        return entry

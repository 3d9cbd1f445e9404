"""The listener's audit trail: one JSON line per received object or refused association, without patient data.

Each line holds the UTC time, the calling AE title, the peer address, the SOP Instance
UID (a random identifier, not a patient's), the arrival number and the outcome, e.g.::

    {"time": "2026-12-07T12:00:00.123Z", "event": "store", "calling_ae": "CT1", "peer": "10.0.0.5",
     "sop_instance_uid": "1.2.3...", "arrival": 17, "outcome": "queued"}

Lines are appended with one ``write`` on an O_APPEND descriptor and synced, so a crash leaves whole lines.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path


class AuditLog:
    """``folder/audit.jsonl``, owner-only (0600)."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "audit.jsonl"
        self._lock = threading.Lock()

    def record(
        self,
        event: str,
        outcome: str,
        calling_ae: str = "",
        peer: str = "",
        sop_instance_uid: str = "",
        arrival: int | None = None,
    ) -> None:
        """Append one line; an unwritable log is not a reason to refuse a film (the caller logs the OSError)."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event": event,
            "calling_ae": calling_ae.strip(),
            "peer": peer,
            "sop_instance_uid": sop_instance_uid,
            "arrival": arrival,
            "outcome": outcome,
        }
        data = (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)

"""Work around a race in pynetdicom's association reactor for a batch of requests on one association.

pynetdicom (3.0.x) pauses an association's reactor thread for each request: the request
clears an Event, waits for the reactor's ``_is_paused`` flag, sends, takes the response off
the DIMSE queue and sets the Event again. The reactor raises that flag *before* it waits on
the Event and lowers it only after the wait returns, so right after one request the flag is
still up while the reactor runs on: the next request can go out while the reactor is live,
and the reactor then takes the response itself ("Received unexpected C-STORE service
message"); the sender waits out its DIMSE timeout and the peer drops the association. On a
loaded 2-core machine one push of 500 films in two or three hit it. Keeping the reactor parked
for the whole batch closes the window: nothing else needs it while we only send requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: How long the reactor's flag must stay up before it counts as parked (it drops within a loop
#: iteration, about 1 ms, whenever the reactor is running).
_PARKED_FOR_S = 0.05


class _HeldCheckpoint(threading.Event):
    """A reactor checkpoint that stays cleared while ``held``: pynetdicom's per-request set() does not wake it."""

    def __init__(self) -> None:
        super().__init__()
        self.held = True

    def set(self) -> None:
        if not self.held:
            super().set()


@contextmanager
def reactor_parked(assoc, wait_s: float = 5.0) -> Iterator[None]:
    """Keep ``assoc``'s reactor thread parked (not reading DIMSE messages) inside the block."""
    original = assoc._reactor_checkpoint
    held = _HeldCheckpoint()
    assoc._reactor_checkpoint = held  # the reactor looks the attribute up on every loop iteration
    deadline, up_since = time.monotonic() + wait_s, None
    while time.monotonic() < deadline and assoc.is_established:
        if assoc._is_paused:
            up_since = up_since or time.monotonic()
            if time.monotonic() - up_since >= _PARKED_FOR_S:
                break
        else:
            up_since = None
        time.sleep(0.001)
    try:
        yield
    finally:
        held.held = False
        assoc._reactor_checkpoint = original
        original.set()
        held.set()

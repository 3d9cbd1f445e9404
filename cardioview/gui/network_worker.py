"""Network work off the GUI thread: one job (search, retrieve, send, export) on the thread pool.

The job is a plain function ``fn(progress, cancel)``; ``progress(n)`` reaches the GUI
as a signal, ``cancel`` is a threading.Event the Cancel button sets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cardioview.errors import CardioViewError


class _Signals(QObject):
    progress = Signal(int)
    done = Signal(object)
    failed = Signal(str)


class NetworkJob(QRunnable):
    """Run ``fn(progress, cancel)`` on the global pool; ``signals.done(result)`` or ``signals.failed(reason)``."""

    def __init__(self, fn: Callable[[Callable[[int], None], threading.Event], object]):
        super().__init__()
        self.fn = fn
        self.cancel = threading.Event()
        self.signals = _Signals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit, self.cancel)
        except CardioViewError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # a network library's surprise must not take the viewer down
            self.signals.failed.emit(f"unexpected {type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(result)

    def start(self) -> NetworkJob:
        QThreadPool.globalInstance().start(self)
        return self

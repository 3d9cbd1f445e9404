"""Decoding off the GUI thread: the image on screen, browser thumbnails and folder scans.

Each runs in a small thread pool; results come back as queued Qt signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cardioview.errors import CardioViewError
from cardioview.gui.worker import load_xray, lower_thread_priority
from cardioview.imageops import resize_gray, to_uint8
from cardioview.imaging.xray import XRay

THUMBNAIL_SIZE = 56


class _LoaderSignals(QObject):
    loaded = Signal(int, str, object)  # request id, key, XRay
    failed = Signal(int, str, str)  # request id, key, reason
    thumbnail = Signal(str, object)  # key, uint8 (h, w) or None


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], None]):
        super().__init__()
        self._fn = fn

    def run(self) -> None:
        lower_thread_priority()
        try:
            self._fn()
        except RuntimeError as exc:
            if "deleted" not in str(exc):
                raise
            # The window closed while this task ran: nobody is left to receive its result.


def make_thumbnail(xray: XRay, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    """uint8 (h, w) with the long side ``size``, aspect kept."""
    h, w = xray.shape
    factor = size / max(h, w)
    shape = (max(1, round(h * factor)), max(1, round(w * factor)))
    return np.ascontiguousarray(resize_gray(to_uint8(xray.pixels), shape))


class ImageLoader(QObject):
    """Decodes images off the GUI thread: one thread for the image on screen, one for thumbnails."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.signals = _LoaderSignals()
        self.loaded, self.failed, self.thumbnail = (self.signals.loaded, self.signals.failed, self.signals.thumbnail)
        self._display_pool = QThreadPool(self)
        self._display_pool.setMaxThreadCount(1)
        self._thumb_pool = QThreadPool(self)
        self._thumb_pool.setMaxThreadCount(1)
        self._pending_thumbs: set[str] = set()
        self._thumb_order = 0
        self._lock = threading.Lock()

    def load(self, request_id: int, key: str, path: str, frame: int = 0) -> None:
        """Decode frame ``frame`` (0-based) of ``path``; ``loaded`` or ``failed`` follows with ``request_id``."""
        self._display_pool.clear()  # a queued load for an image already left is pointless
        signals = self.signals

        def job() -> None:
            try:
                xray = load_xray(path, frame=frame)
            except CardioViewError as exc:
                signals.failed.emit(request_id, key, str(exc))
            except Exception as exc:
                signals.failed.emit(request_id, key, f"{Path(path).name}: unreadable ({type(exc).__name__}: {exc})")
            else:
                signals.loaded.emit(request_id, key, xray)

        self._display_pool.start(_Task(job))

    def request_thumbnail(self, key: str, path: str) -> None:
        with self._lock:
            if key in self._pending_thumbs:
                return
            self._pending_thumbs.add(key)
        signals, lock, pending = self.signals, self._lock, self._pending_thumbs

        def job() -> None:
            try:
                thumb = make_thumbnail(load_xray(path))
            except Exception:  # the browser lists load errors when the image is opened
                thumb = None
            with lock:
                pending.discard(key)
            signals.thumbnail.emit(key, thumb)

        # Newest request first: rows on screen now matter more than rows scrolled past.
        self._thumb_order += 1
        self._thumb_pool.start(_Task(job), self._thumb_order)

    def cancel_thumbnails(self) -> None:
        self._thumb_pool.clear()
        with self._lock:
            self._pending_thumbs.clear()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        self._display_pool.clear()
        self.cancel_thumbnails()
        self._display_pool.waitForDone(timeout_ms)
        self._thumb_pool.waitForDone(timeout_ms)


class _ScanSignals(QObject):
    progress = Signal(int, int)  # files looked at, files in total (0 while unknown)
    finished = Signal(str, object)  # folder, StudyIndex
    failed = Signal(str, str)  # folder, reason


class FolderScanner(QObject):
    """Reads the headers of a folder in the background; a newer scan cancels an older one."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.signals = _ScanSignals()
        self.progress, self.finished, self.failed = (self.signals.progress, self.signals.finished, self.signals.failed)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._generation = 0
        self._cancel = threading.Event()

    def scan(self, folder: Path) -> None:
        self.cancel()
        self._cancel = cancel = threading.Event()
        self._generation += 1
        generation, signals = self._generation, self.signals
        is_current = lambda: generation == self._generation  # noqa: E731

        def job() -> None:
            from cardioview.imaging.folder_scan import scan

            def progress(done: int, total: int | None = None) -> None:
                if is_current():
                    signals.progress.emit(int(done), int(total or 0))

            try:
                index = scan(Path(folder), progress=progress, cancel=cancel.is_set)
            except CardioViewError as exc:
                if is_current():
                    signals.failed.emit(str(folder), str(exc))
            except Exception as exc:
                if is_current():
                    signals.failed.emit(str(folder), f"{Path(folder).name}: scan failed ({type(exc).__name__}: {exc})")
            else:
                if is_current() and not cancel.is_set():
                    signals.finished.emit(str(folder), index)

        self._pool.start(_Task(job))

    def cancel(self) -> None:
        self._cancel.set()
        self._generation += 1

    def wait(self, timeout_ms: int = 10000) -> bool:
        return self._pool.waitForDone(timeout_ms)

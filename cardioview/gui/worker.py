"""Background work: the inference thread and the image/thumbnail loaders.

The GUI thread never decodes a large image or runs the model. It sends
requests carrying ids; the answers come back as queued Qt signals, and the
window draws only those whose id is still current.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal

from cardioview.errors import CardioViewError
from cardioview.imaging.xray import XRay
from cardioview.inference.prediction import Prediction

THUMBNAIL_SIZE = 56


class PredictorLike(Protocol):
    model_id: str
    backend_name: str
    device_name: str
    threshold: float

    def predict(self, xray: XRay) -> Prediction: ...


@dataclass(frozen=True)
class ModelInfo:
    """What the panel shows about the loaded model."""

    model_id: str
    backend: str
    device: str
    threshold: float
    intended_use: str
    operating_point: dict | None


@dataclass(frozen=True)
class InferenceResult:
    """One answer of the worker.

    Attributes:
        request_id: the id the request carried (0 for "Analyse all" items).
        key: the image key.
        prediction: the result, or None when ``error`` says why not.
        xray: the image as loaded by the worker ("Analyse all" only).
    """

    request_id: int
    key: str
    prediction: Prediction | None = None
    error: str | None = None
    xray: XRay | None = None


@dataclass(order=True)
class _Job:
    priority: int
    seq: int
    kind: str = field(compare=False)
    payload: tuple = field(compare=False, default=())


#: Background threads run this much "nicer" than the GUI thread (Unix), so a busy
#: CPU serves the interface first; on an idle machine it costs them nothing.
BACKGROUND_NICENESS = 5


def lower_thread_priority() -> None:
    """Make the calling thread yield the CPU to the GUI thread (best effort, Unix only)."""
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICENESS)
        except OSError:
            pass  # not permitted here: keep the default priority


def _load_xray(path: str) -> XRay:
    from cardioview.imaging.loader import load

    return load(Path(path))


class InferenceWorker(QThread):
    """Owns the predictor. Imports the backend and loads the model in its own thread.

    Interactive requests go before the remaining "Analyse all" items, and a
    request superseded by a newer one is skipped without running the model.

    Args:
        predictor_factory: builds the predictor (called in the worker thread).
    """

    model_ready = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    result = Signal(object)  # InferenceResult
    batch_progress = Signal(int, int)  # done, total
    batch_finished = Signal(int, bool)  # analysed, cancelled

    def __init__(self, predictor_factory: Callable[[], PredictorLike], parent: QObject | None = None):
        super().__init__(parent)
        self._factory = predictor_factory
        self._jobs: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._latest_request = 0
        self._cancel = threading.Event()
        self._answered: set[str] = set()  # keys answered interactively since the last analyse_all()
        self.predictor: PredictorLike | None = None

    # -- called from the GUI thread -------------------------------------------
    def predict(self, request_id: int, key: str, xray: XRay) -> None:
        """Queue one image; any older interactive request still queued is skipped."""
        self._latest_request = request_id
        self._jobs.put(_Job(0, next(self._seq), "predict", (request_id, key, xray)))

    def analyse_all(self, items: list[tuple[str, str]]) -> None:
        """Queue (key, path) pairs; each is loaded and analysed here, with progress."""
        self._cancel.clear()
        self._answered.clear()
        self._jobs.put(_Job(1, next(self._seq), "batch", (list(items),)))

    def cancel_batch(self) -> None:
        self._cancel.set()

    def stop(self, timeout_ms: int = 60000) -> None:
        """End the thread after its current job (a model still loading is waited for)."""
        self._cancel.set()
        self._jobs.put(_Job(-1, next(self._seq), "stop"))
        self.wait(timeout_ms)

    # -- worker thread ----------------------------------------------------------
    def run(self) -> None:
        lower_thread_priority()
        try:
            self.predictor = self._factory()
        except Exception as exc:  # any failure to load weights is reported, not raised
            self.model_failed.emit(str(exc) or type(exc).__name__)
            self._drain_without_model()
            return
        p = self.predictor
        bundle = getattr(p, "bundle", None)
        self.model_ready.emit(ModelInfo(
            model_id=p.model_id, backend=p.backend_name, device=p.device_name, threshold=float(p.threshold),
            intended_use=getattr(bundle, "intended_use", "research"),
            operating_point=getattr(bundle, "operating_point", None),
        ))
        while True:
            job = self._jobs.get()
            if job.kind == "stop":
                return
            if job.kind == "predict":
                self._run_predict(*job.payload)
            elif job.kind == "batch":
                if self._run_batch(job.payload[0]) == "stop":
                    return

    def _drain_without_model(self) -> None:
        while (job := self._jobs.get()).kind != "stop":
            if job.kind == "batch":
                self.batch_finished.emit(0, True)

    def _run_predict(self, request_id: int, key: str, xray: XRay) -> None:
        if request_id < self._latest_request:
            return  # the user has moved on: don't spend the model on it
        result = self._predict(request_id, key, xray)
        self._answered.add(key)
        self.result.emit(result)

    def _predict(self, request_id: int, key: str, xray: XRay) -> InferenceResult:
        try:
            return InferenceResult(request_id, key, prediction=self.predictor.predict(xray), xray=xray)
        except CardioViewError as exc:
            return InferenceResult(request_id, key, error=str(exc))
        except Exception as exc:  # a model failure on one image must not end the worker
            return InferenceResult(request_id, key, error=f"analysis failed: {type(exc).__name__}: {exc}")

    def _run_batch(self, items: list[tuple[str, str]]) -> str:
        done = 0
        total = len(items)
        self.batch_progress.emit(0, total)
        for key, path in items:
            if self._serve_interactive() == "stop":
                return "stop"
            if self._cancel.is_set():
                self.batch_finished.emit(done, True)
                return "cancelled"
            done += 1
            if key in self._answered:  # the user opened it meanwhile: already analysed
                self.batch_progress.emit(done, total)
                continue
            try:
                xray = _load_xray(path)
            except CardioViewError as exc:
                self.result.emit(InferenceResult(0, key, error=str(exc)))
            except Exception as exc:
                self.result.emit(InferenceResult(0, key, error=f"{Path(path).name}: unreadable ({exc})"))
            else:
                self.result.emit(self._predict(0, key, xray))
            self.batch_progress.emit(done, total)
        self.batch_finished.emit(done, False)
        return "done"

    def _serve_interactive(self) -> str:
        """Run interactive requests that arrived during a batch, before its next item."""
        deferred = []
        try:
            while True:
                job = self._jobs.get_nowait()
                if job.kind == "stop":
                    return "stop"
                if job.kind == "predict":
                    self._run_predict(*job.payload)
                else:
                    deferred.append(job)
        except queue.Empty:
            pass
        for job in deferred:
            self._jobs.put(job)
        return "ok"


# -- loaders (thread pool) -------------------------------------------------------


class _LoaderSignals(QObject):
    loaded = Signal(int, str, object)  # request id, key, XRay
    failed = Signal(int, str, str)  # request id, key, reason
    thumbnail = Signal(str, object)  # key, uint8 (h, w) or None


class _Task(QRunnable):
    _niced: dict[int, bool] = {}  # pool threads are reused: lower each one once

    def __init__(self, fn: Callable[[], None]):
        super().__init__()
        self._fn = fn

    def run(self) -> None:
        if not _Task._niced.get(threading.get_native_id()):
            lower_thread_priority()
            _Task._niced[threading.get_native_id()] = True
        try:
            self._fn()
        except RuntimeError as exc:
            if "deleted" not in str(exc):
                raise
            # The window closed while this task ran: nobody is left to receive its result.


def make_thumbnail(xray: XRay, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    """uint8 (h, w) with the long side ``size``, aspect kept."""
    import cv2

    from cardioview.inference.preprocess import to_uint8

    h, w = xray.shape
    factor = size / max(h, w)
    shape = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.ascontiguousarray(cv2.resize(to_uint8(xray.pixels), shape, interpolation=cv2.INTER_AREA))


class ImageLoader(QObject):
    """Decodes images off the GUI thread: one thread for the image on screen, one for thumbnails."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.signals = _LoaderSignals()
        self.loaded, self.failed, self.thumbnail = (
            self.signals.loaded, self.signals.failed, self.signals.thumbnail)
        self._display_pool = QThreadPool(self)
        self._display_pool.setMaxThreadCount(1)
        self._thumb_pool = QThreadPool(self)
        self._thumb_pool.setMaxThreadCount(1)
        self._pending_thumbs: set[str] = set()
        self._lock = threading.Lock()

    def load(self, request_id: int, key: str, path: str) -> None:
        self._display_pool.clear()  # a queued load for an image already left is pointless
        signals = self.signals

        def job() -> None:
            try:
                xray = _load_xray(path)
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
                thumb = make_thumbnail(_load_xray(path))
            except Exception:  # the browser lists load errors when the image is opened
                thumb = None
            with lock:
                pending.discard(key)
            signals.thumbnail.emit(key, thumb)

        self._thumb_pool.start(_Task(job))

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
        self.progress, self.finished, self.failed = (
            self.signals.progress, self.signals.finished, self.signals.failed)
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
            from cardioview.imaging.scan import scan

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

"""The inference thread: owns the Predictor and answers requests that carry ids.

The GUI thread never runs the model. It sends requests; the answers come back
as queued Qt signals, and the window draws only those still current.
(Image decoding off the GUI thread lives in loaders.py.)
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QThread, Signal

from cardioview.errors import CardioViewError
from cardioview.gui.audit import image_reference
from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction
from cardioview.results.film_result import analyse


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
    attention_note: str = ""
    attention_validated: bool = False
    #: per view ("AP"), the manifest's operating point for that view (``view_operating_points``)
    view_operating_points: dict = field(default_factory=dict)


@dataclass(frozen=True)
class InferenceResult:
    """One answer of the worker.

    Attributes:
        request_id: the id the request carried (0 for "Analyse all" items).
        key: the image key.
        prediction: the result, or None when ``error`` says why not.
        xray: the image the prediction is for.
        reference: the image's non-identifying audit reference (UID or file hash),
            computed here so the GUI thread never hashes files.
    """

    request_id: int
    key: str
    prediction: Prediction | None = None
    error: str | None = None
    xray: XRay | None = None
    reference: dict | None = None


@dataclass(order=True)
class _Job:
    priority: int
    seq: int
    kind: str = field(compare=False)
    payload: tuple = field(compare=False, default=())


#: Background threads run this much "nicer" than the GUI thread (Unix), so a busy
#: CPU serves the interface first; on an idle machine it costs them nothing.
BACKGROUND_NICENESS = 5
# The GUI thread's niceness, read when Qt modules are imported (on the GUI thread).
_GUI_NICENESS = os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0


def lower_thread_priority() -> None:
    """Make the calling thread yield the CPU to the GUI thread (best effort, Unix only; idempotent)."""
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _GUI_NICENESS + BACKGROUND_NICENESS)
        except OSError:
            pass  # not permitted here: keep the default priority


def load_xray(path: str, frame: int = 0) -> XRay:
    from cardioview.imaging.loader import load

    return load(Path(path), frame=frame)


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
        self._answered: set[str] = set()  # keys answered interactively (a batch skips them)
        self.predictor: PredictorLike | None = None

    # -- called from the GUI thread -------------------------------------------
    def predict(self, request_id: int, key: str, xray: XRay) -> None:
        """Queue one image; any older interactive request still queued is skipped."""
        self._latest_request = request_id
        self._jobs.put(_Job(0, next(self._seq), "predict", (request_id, key, xray)))

    def analyse_all(self, items: list[tuple[str, str]]) -> None:
        """Queue (key, path) pairs; each is loaded and analysed here, with progress."""
        # _answered is not cleared here: a key answered just now may have its result still on the way
        # to the GUI thread (so it is in ``items``); clearing it made the batch analyse that image twice.
        self._cancel.clear()
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
        self.model_ready.emit(
            ModelInfo(
                model_id=p.model_id,
                backend=p.backend_name,
                device=p.device_name,
                threshold=float(p.threshold),
                intended_use=getattr(bundle, "intended_use", "research"),
                operating_point=getattr(bundle, "operating_point", None),
                attention_note=getattr(bundle, "attention_note", ""),
                attention_validated=getattr(bundle, "attention_validated", False),
                view_operating_points=dict(getattr(bundle, "manifest", {}).get("view_operating_points", {})),
            )
        )
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
            prediction = analyse(self.predictor, xray).prediction  # not applicable: no verdict
            return InferenceResult(request_id, key, prediction=prediction, xray=xray, reference=image_reference(xray))
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
                xray = load_xray(path)
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

"""The films open in the viewer, by patient (issue 23): what "Compare with prior" and the trend view list.

Headers come from the folder scan (captured once per scan, no file read again); a file opened on its own has
its header read once, in the GUI thread (headers only, a few KB). :class:`FilmAnalyser` loads films off the
GUI thread and has the model worker analyse those without a result, one at a time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from cardioview.comparison.films import FilmRecord, film_from
from cardioview.gui.loaders import ImageLoader
from cardioview.gui.study_tree import image_key
from cardioview.imaging.xray import XRay, XRayMetadata


class PatientFilms:
    """Header facts of the viewer's films; attach once to a MainWindow."""

    def __init__(self, window):
        self.window = window
        self.headers: dict[str, XRayMetadata] = {}
        window.scanner.finished.connect(self._on_scanned)

    def _on_scanned(self, _folder: str, index) -> None:
        for entry in index.images():
            self.headers[image_key(entry.path)] = entry.metadata

    def remember(self, key: str, metadata: XRayMetadata) -> None:
        """Header facts known from elsewhere (a loaded XRay, a film fetched from a PACS)."""
        self.headers[key] = metadata

    def header(self, key: str, path: str | Path) -> XRayMetadata:
        if key not in self.headers:
            self.headers[key] = _read_header(Path(path))
        return self.headers[key]

    def films_of(self, metadata: XRayMetadata) -> list[FilmRecord]:
        """Every open film of the patient of ``metadata`` (by Patient ID, else name), with its result when known.

        Returns an empty list when the header names no patient (a raster file).
        """
        patient = metadata.patient_id or metadata.patient_name
        if not patient or not metadata.study_date:
            return []
        state, films = self.window.state, []
        for key, path in self.window.browser.image_items():
            meta = self.header(key, path)
            if (meta.patient_id or meta.patient_name) == patient:
                measurement = state.measurements.get(key)
                films.append(
                    film_from(
                        meta,
                        Path(path),
                        state.prediction(key),
                        key,
                        ctr=measurement.ratio if measurement is not None else None,
                    )
                )
        return films


def _read_header(path: Path) -> XRayMetadata:
    """A DICOM file's header facts; an empty XRayMetadata for a raster or an unreadable file."""
    from cardioview.imaging.dicom_header import read_dataset
    from cardioview.imaging.dicom_values import metadata_from_dataset

    try:
        return metadata_from_dataset(read_dataset(path, stop_before_pixels=True))
    except Exception:  # a raster or a broken file: no patient, so it is in no comparison
        return XRayMetadata()


class FilmAnalyser(QObject):
    """Loads films for the comparison views off the GUI thread, and has the worker analyse those without a result.

    Signals:
        loaded(str, object): a film's key and its XRay.
        failed(str, str): a film's key and why it could not load.
    """

    loaded = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.loader = ImageLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self._queue: list[tuple[str, str]] = []
        self._busy = False
        self.xrays: dict[str, XRay] = {}  # the films the open comparison shows (a few)
        # Films sent to the worker and not answered yet. The worker skips a request older than the newest one,
        # so when the user opens another film meanwhile, these are sent again with the new request id.
        self.pending: dict[str, XRay] = {}
        window.state.prediction_changed.connect(lambda key: self.pending.pop(key, None))
        window.image_shown.connect(lambda _key: self._resubmit())
        if window.worker is not None:
            window.worker.result.connect(
                lambda result: result.prediction is None and self.pending.pop(result.key, None)
            )

    def load(self, key: str, path: str | Path) -> None:
        """Queue ``key``; ``loaded`` follows (at once when already loaded) and the worker analyses it if needed."""
        if key in self.xrays:
            self.loaded.emit(key, self.xrays[key])
            return
        if (key, str(path)) not in self._queue:
            self._queue.append((key, str(path)))
        self._next()

    def _next(self) -> None:
        if self._busy or not self._queue:
            return
        key, path = self._queue.pop(0)
        self._busy = True
        self.loader.load(0, key, path)  # one at a time: ImageLoader drops loads queued behind another

    def _on_loaded(self, _request_id: int, key: str, xray: XRay) -> None:
        self._busy = False
        if len(self.xrays) > 8:
            self.xrays.pop(next(iter(self.xrays)))
        self.xrays[key] = xray
        w = self.window
        if key not in w.state.predictions and w.worker is not None and w.model_info is not None:
            self.pending[key] = xray
            w.worker.predict(w._request_id, key, xray)  # the result reaches w.state through the window
        self.loaded.emit(key, xray)
        self._next()

    def _resubmit(self) -> None:
        w = self.window
        for key, xray in list(self.pending.items()):
            if key in w.state.predictions:
                self.pending.pop(key)
            else:
                w.worker.predict(w._request_id, key, xray)

    def _on_failed(self, _request_id: int, key: str, reason: str) -> None:
        self._busy = False
        self.failed.emit(key, reason)
        self._next()

    def shutdown(self) -> None:
        self._queue.clear()
        self.loader.shutdown()

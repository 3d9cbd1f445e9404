"""The main window: study browser | X-ray canvas | result panel, and the flow between them.

Image requests carry increasing ids. A decoded image or a result is drawn
only while its id (or its image key) is still the current one, so quick
browsing never shows one image's heat map on another.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QMainWindow, QScrollArea, QSplitter

from cardioview.gui.anatomy_view import AnatomyView  # issue 12: automatic CTR, outlines, CTR column
from cardioview.gui.audit import AuditLog
from cardioview.gui.batch_analysis import BatchAnalysisMixin
from cardioview.gui.canvas import XRayCanvas
from cardioview.gui.export import ReportExporter
from cardioview.gui.file_drop import FileDropMixin
from cardioview.gui.loaders import FolderScanner, ImageLoader
from cardioview.gui.menus import build_menus
from cardioview.gui.notifications import Notifier
from cardioview.gui.panel import ResultPanel
from cardioview.gui.panel_widgets import breakable
from cardioview.gui.screen_fit import fit_first_window  # issue 18: fits the screen it opens on
from cardioview.gui.settings import AppSettings
from cardioview.gui.state import ViewState
from cardioview.gui.study_browser import StudyBrowser
from cardioview.gui.study_tree import frame_key
from cardioview.gui.wheel_guard import guard_wheel
from cardioview.gui.window_export import ReportExportMixin
from cardioview.gui.worker import InferenceResult, InferenceWorker, ModelInfo
from cardioview.imaging.xray import XRay


class MainWindow(BatchAnalysisMixin, ReportExportMixin, FileDropMixin, QMainWindow):
    """The viewer. "Analyse all" is in gui/batch_analysis.py, report export in gui/window_export.py and
    drag and drop in gui/file_drop.py: parts of this class, kept apart by what they do.

    Args:
        predictor_factory: builds the Predictor in the worker thread; None for a viewer without a model.
        settings: persistent settings (default: the user's file).
        audit: the audit log (default: the platform log folder).

    Signals:
        image_shown(str): an image is on screen (its key).
        result_shown(str): the current image's prediction is drawn (its key).
        folder_opened(int): a folder scan finished (number of images).
        batch_done(int, bool): "Analyse all" ended (analysed, cancelled).
        exports_done(int, int): an export ended (written, failed).
    """

    image_shown = Signal(str)
    result_shown = Signal(str)
    folder_opened = Signal(int)
    batch_done = Signal(int, bool)
    exports_done = Signal(int, int)

    def __init__(
        self, predictor_factory: Callable | None, settings: AppSettings | None = None, audit: AuditLog | None = None
    ):
        super().__init__()
        self.setWindowTitle("CardioView")
        self.settings = settings or AppSettings()
        self.audit = audit or AuditLog()
        self.state = ViewState(
            opacity=self.settings.opacity, colormap=self.settings.colormap, scale=self.settings.scale
        )
        self.persist_opacity = True
        self.model_info: ModelInfo | None = None
        self.model_error: str | None = None
        self.written_reports: list[Path] = []
        self.failed_keys: dict[str, str] = {}
        self.unreadable_files = 0  # files the last folder scan could not read (not in the browser)
        self.folder_label = ""  # what the open folder is called when not its name (a PACS study)
        self._request_id = 0
        self._batch_running = False

        self.canvas = XRayCanvas(self.state)
        self.panel = ResultPanel(self.state)
        self.loader = ImageLoader(self)
        self.browser = StudyBrowser(self.loader)
        self.scanner = FolderScanner(self)
        self.exporter = ReportExporter(self)
        self.worker = InferenceWorker(predictor_factory, self) if predictor_factory else None

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.browser)
        splitter.addWidget(self.canvas)
        # The panel scrolls rather than squeezing its controls on a small screen (1280x720 and up).
        self.panel_scroll = QScrollArea()
        self.panel_scroll.setObjectName("resultScroll")
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panel_scroll.setWidget(self.panel)
        self.panel_scroll.setMinimumWidth(300)
        splitter.addWidget(self.panel_scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 870, 330])
        splitter.setCollapsible(1, False)
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self._add_batch_progress()
        self.notifier = Notifier(self.statusBar())
        self.actions_ = build_menus(self)
        self.setAcceptDrops(True)
        for widget in (self.canvas.view, self.canvas.view.viewport(), self.browser.tree, self.browser.tree.viewport()):
            widget.setAcceptDrops(False)  # drops anywhere reach the window's handler

        self._connect()
        self.anatomy_view = AnatomyView(self)
        self.wheel_guard = guard_wheel(self.panel)  # the wheel scrolls the panel, not the control under it
        self._restore_geometry()
        if self.worker is None:
            self.panel.set_model_info(None, "no weights bundle found (use --weights)")
            self.panel.set_status("Viewing only: no model loaded")

    def _connect(self) -> None:
        self.browser.image_selected.connect(self.show_image)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.scanner.finished.connect(self._on_scanned)
        self.scanner.failed.connect(self._on_scan_failed)
        self.scanner.progress.connect(self._on_scan_progress)
        self.exporter.written.connect(self._on_report_written)
        self.exporter.failed.connect(lambda key, reason: self.notifier.warn(f"Export failed: {reason}"))
        self.exporter.finished.connect(self._on_exports_finished)
        self.state.display_changed.connect(self._remember_display)
        self.state.threshold_changed.connect(lambda: self.browser.set_threshold(self.state.threshold))
        # "Show model output anyway" (panel) reveals a not-applicable image's overlays too (issue 18)
        self.panel.reveal_button.toggled.connect(self.state.set_model_output_revealed)
        self.state.image_changed.connect(lambda: self.panel.reveal_button.setChecked(self.state.model_output_revealed))
        # After Enter in the threshold box, Up/Down browse films again (they stepped the threshold).
        self.panel.threshold_controls.committed.connect(lambda: self.browser.tree.setFocus())
        if self.worker is not None:
            self.worker.model_ready.connect(self._on_model_ready)
            self.worker.model_failed.connect(self._on_model_failed)
            self.worker.result.connect(self._on_result)
            self.worker.batch_progress.connect(self._on_batch_progress)
            self.worker.batch_finished.connect(self._on_batch_finished)

    def start_worker(self) -> None:
        """Start the model thread (after the window is up: the backend import is slow)."""
        if self.worker is not None and not self.worker.isRunning():
            self.panel.set_status("Loading model…")
            self.worker.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.start_worker)

    # -- opening files --------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        path = Path(path)
        if path.is_dir():
            self.open_folder(path)
        elif path.is_file():
            self.open_files([path])
        else:
            self.notifier.warn(f"{path.name}: no such file or folder")

    def open_folder(self, folder: Path, label: str = "") -> None:
        """Scan ``folder`` into the browser; ``label`` names it in the title instead of the folder's
        name (a study retrieved from a PACS sits in a cache folder named by a hash)."""
        self.folder_label = label
        self._request_id += 1
        self.cancel_batch()
        self.loader.cancel_thumbnails()
        self.state.clear()
        self.failed_keys.clear()
        self.browser.clear()
        self.actions_.set_batch_running(self._batch_running)  # nothing open while it scans
        self.browser.set_scanning(f"Scanning {folder.name}…")
        self.settings.last_folder = str(folder)
        self.settings.add_recent(str(folder))
        self.actions_.refresh_recent()
        self.setWindowTitle(f"CardioView — {label or folder.name}")
        self.scanner.scan(folder)

    def open_files(self, paths: list[Path]) -> None:
        """Add single files to the browser's "Opened files" group and show the first."""
        keys = self.browser.add_files(paths)
        self.browser.widen_to_fit()
        self.actions_.set_batch_running(self._batch_running)
        if keys:
            self.browser.select(keys[0])

    def _on_scan_progress(self, done: int, total: int) -> None:
        self.browser.set_scanning(f"Scanning… {done} / {total}" if total else f"Scanning… {done}")

    def _on_scanned(self, folder: str, index) -> None:
        count = self.browser.set_index(index)
        self.unreadable_files = len(index.errors)
        if self.folder_label:
            self.browser.title.setText(f"{self.folder_label} · {count} image(s)")
        for error in index.errors:
            self.notifier.warn(f"{error.path.name}: {error.reason}")
        extra = [
            f"{n} {what}" for n, what in ((len(index.errors), "unreadable"), (len(index.skipped), "not images")) if n
        ]
        self.notifier.info(f"{count} image(s) in {Path(folder).name}" + (f" ({', '.join(extra)})" if extra else ""))
        self.actions_.set_batch_running(self._batch_running)
        self.browser.widen_to_fit()  # file names whole where the window has room (issue 18)
        self.folder_opened.emit(count)
        self.browser.select_first()

    def _on_scan_failed(self, folder: str, reason: str) -> None:
        self.browser.set_scanning("")
        self.notifier.warn(reason)
        self.folder_opened.emit(0)

    # -- one image ----------------------------------------------------------------
    def show_image(self, key: str, path: str) -> None:
        """Load ``path`` off the GUI thread; it appears when (and if) it is still wanted."""
        if key == self.state.current_key and self.state.current_xray is not None:
            return
        self._request_id += 1
        self.state.set_current(key, None)
        self.panel.set_status("Loading image…")
        self.canvas.show_message("Loading…")
        self.loader.load(self._request_id, key, path)

    def show_frame(self, frame: int) -> None:
        """Load frame ``frame`` (0-based) of the current multi-frame file; each frame has its own result."""
        xray, key = self.state.current_xray, self.state.current_key
        if xray is None or key is None or not 0 <= frame < xray.frames or frame == xray.frame:
            return
        self._request_id += 1
        key = frame_key(key, frame)
        self.state.set_current(key, None)
        self.panel.set_status(f"Loading frame {frame + 1} of {xray.frames}…")
        self.canvas.show_message("Loading…")
        self.loader.load(self._request_id, key, str(xray.source), frame)

    def _on_loaded(self, request_id: int, key: str, xray: XRay) -> None:
        if request_id != self._request_id:
            return  # the user has moved on to another image
        self.state.set_current(key, xray)
        self._show_image_warnings(xray)
        self.actions_.refresh_windows()
        self.image_shown.emit(key)
        if key in self.state.predictions:
            self.result_shown.emit(key)
        else:
            self._request_prediction()

    def _show_image_warnings(self, xray: XRay) -> None:
        """The status bar speaks of the image on screen: its warnings, or nothing (not a previous file's)."""
        if xray.warnings:
            self.statusBar().showMessage("\u26a0 " + "; ".join(xray.warnings))
        else:
            self.statusBar().clearMessage()

    def _request_prediction(self) -> None:
        xray, key = self.state.current_xray, self.state.current_key
        if xray is None or key in self.state.predictions:
            return
        if self.worker is None:
            return
        if self.model_info is None:
            self.panel.set_status("Waiting for the model…" if self.model_error is None else self.model_error)
            return
        self.panel.set_status("Analysing…")
        self.worker.predict(self._request_id, key, xray)

    def _on_load_failed(self, request_id: int, key: str, reason: str) -> None:
        self.failed_keys[key] = reason
        self.browser.set_error(key, reason)
        self.notifier.warn(reason)
        if request_id == self._request_id:
            self.panel.set_status(reason)
            self.canvas.show_message(
                f"Cannot show this image<br><span style='font-size:10pt'>{breakable(reason)}</span>"
            )

    def _on_result(self, result: InferenceResult) -> None:
        if result.prediction is None:
            self.failed_keys[result.key] = result.error or "analysis failed"
            self.browser.set_error(result.key, result.error or "analysis failed")
            self.notifier.warn(result.error or f"{Path(result.key).name}: analysis failed")
            if result.key == self.state.current_key:
                self.panel.set_status(result.error or "analysis failed")
            return
        # Kept under its own image's key: a late result can never be drawn on another image.
        self.state.add_prediction(result.key, result.prediction)
        self.browser.set_probability(
            result.key, result.prediction.probability, self.state.threshold, result.prediction.not_applicable
        )
        self.audit.record("analyse", result.xray, result.prediction, reference=result.reference)
        if result.key == self.state.current_key:
            self.result_shown.emit(result.key)

    # -- model -----------------------------------------------------------------------
    def _on_model_ready(self, info: ModelInfo) -> None:
        self.model_info = info
        self.state.set_threshold(info.threshold)
        self.panel.set_model_info(info)
        self.panel.set_status(self.failed_keys.get(self.state.current_key or "", ""))
        self.notifier.info(f"Model {info.model_id} ready on {info.device}")
        self.actions_.set_model_available(True)
        self.actions_.set_batch_running(self._batch_running)
        self._request_prediction()

    def _on_model_failed(self, reason: str) -> None:
        self.model_error = f"No model: {reason}"
        self.panel.set_model_info(None, reason)
        self.panel.set_status("Viewing only: no analysis without a model")
        self.notifier.warn(self.model_error)

    # -- settings ---------------------------------------------------------------------------
    def _remember_display(self) -> None:
        if self.persist_opacity:
            self.settings.opacity = self.state.opacity
        self.settings.colormap = self.state.colormap
        self.settings.scale = self.state.scale

    def _restore_geometry(self) -> None:
        geometry = self.settings.geometry("geometry")
        # restoreGeometry fits a remembered geometry into this screen, or refuses it (a screen 25 % wider or narrower)
        if geometry is None or not self.restoreGeometry(geometry):
            fit_first_window(self)
        splitter = self.settings.geometry("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event) -> None:
        self.settings.set_geometry("geometry", self.saveGeometry())
        self.settings.set_geometry("splitter", self.splitter.saveState())
        self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop background threads (idempotent)."""
        if self.worker is not None and self.worker.isRunning():
            self.worker.stop()
        self.scanner.cancel()
        self.loader.shutdown()
        self.exporter.wait()

"""The main window's "Analyse all": the batch run over every open image, its progress bar and Cancel button.

``BatchAnalysisMixin`` is a part of MainWindow (it uses the window's worker, browser, state, notifier and
actions, and emits its ``batch_done`` signal); it lives here so the window's module stays about one thing.
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QPushButton


def nothing_to_analyse(images: int, failed: int, unreadable: int = 0) -> str:
    """What Analyse all says when it has nothing to do: what is true of the open images.

    Args:
        images: images in the browser; failed: those that failed to load or to analyse;
        unreadable: files the folder scan could not read at all (not in the browser).
    """
    if failed >= images and failed + unreadable:
        return f"No analysable images: {failed + unreadable} file(s) failed to load"
    if images == 0:
        return "Nothing to analyse: open a folder or files first"
    if failed:
        return f"Every analysable image is already analysed ({failed} file(s) failed)"
    return "Every image is already analysed"


class BatchAnalysisMixin:
    """MainWindow's batch analysis; the window's ``_batch_running`` says whether one is under way."""

    def _add_batch_progress(self) -> None:
        """The status bar's progress bar and Cancel button, hidden until a batch runs."""
        self.progress = QProgressBar()
        self.progress.setFixedWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_batch)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()

    def analyse_all(self) -> None:
        if self.worker is None or self.model_info is None:
            self.notifier.warn("Analyse all needs a loaded model")
            return
        items = [
            (k, p)
            for k, p in self.browser.image_items()
            if k not in self.state.predictions and k not in self.failed_keys
        ]
        if not items:
            say = self.notifier.warn if self.failed_keys or self.unreadable_files else self.notifier.info
            say(nothing_to_analyse(len(self.browser.image_items()), len(self.failed_keys), self.unreadable_files))
            self.batch_done.emit(0, False)
            return
        self._batch_running = True
        self.progress.setRange(0, len(items))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.actions_.set_batch_running(True)
        self.worker.analyse_all(items)

    def cancel_batch(self) -> None:
        if self._batch_running and self.worker is not None:
            self.worker.cancel_batch()

    def _on_batch_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"Analysing {done} / {total}")

    def _on_batch_finished(self, done: int, cancelled: bool) -> None:
        self._batch_running = False
        self.progress.hide()
        self.cancel_button.hide()
        self.actions_.set_batch_running(False)
        reading = self.state.current_key
        self.browser.sort_by_probability()
        if reading is not None and reading in self.browser.model.items:
            self.browser.select(reading)  # the film being read stays selected, scrolled into view
        else:
            self.browser.select_first()  # nothing was being read: the top of the triage list
        self.notifier.info(f"Analysis {'cancelled after' if cancelled else 'finished:'} {done} image(s)")
        self.batch_done.emit(done, cancelled)

"""The main window's report export: the image on screen or every analysed image, and the audit of each report.

``ReportExportMixin`` is a part of MainWindow (it uses the window's state, canvas, settings, exporter, audit
and notifier, and emits its ``exports_done`` signal); the print and DICOM actions use its
``export_style`` and ``current_export_item`` too.
"""

from __future__ import annotations

from pathlib import Path

from cardioview.gui.export import ExportItem, ExportStyle


class ReportExportMixin:
    """MainWindow's exports; ``written_reports`` lists the reports written so far."""

    def export_style(self) -> ExportStyle:
        info = self.model_info
        op = None
        if info is not None and info.operating_point and abs(self.state.threshold - info.threshold) < 5e-4:
            op = info.operating_point  # validation figures are known at the model's own threshold only
        window = self.canvas.grey_window
        return ExportStyle(
            self.state.opacity,
            self.state.colormap,
            self.state.scale,
            self.settings.deidentify,
            default_threshold=info.threshold if info else None,
            operating_point=op,
            window=f"window W {window.width:.0f} / L {window.center:.0f}" if window else "",
            invert=self.canvas.user_invert,
        )

    def current_export_item(self, target: Path | None = None) -> ExportItem | None:
        """The report of the image on screen as exported or printed; None until it is analysed."""
        xray, prediction = self.state.current_xray, self.state.prediction()
        if xray is None or prediction is None:
            return None
        measurement = self.state.measurement()
        return ExportItem(
            self.state.current_key,
            Path(xray.source),
            prediction,
            target=target,
            xray=xray,
            ctr=measurement.to_ctr() if measurement else None,
            show_model_output=self.state.model_output_revealed,
            comparison=self._comparison(self.state.current_key, xray.source),
        )

    def _comparison(self, key: str | None, path):
        """The change since the film's prior for its report (issue 23, gui/compare_actions.py); None without one."""
        return self.actions_.comparison.change_for(key, path)

    def export_current(self, target: Path) -> bool:
        """Write the current image's report to ``target`` (which must not exist) in the background."""
        item = self.current_export_item(Path(target))
        if item is None:
            self.notifier.warn("Nothing to export: open an image and wait for its analysis")
            return False
        self.exporter.export([item], self.export_style())
        return True

    def export_all(self, folder: Path) -> int:
        """One report per analysed image into ``folder`` (free names only); returns the count queued."""
        items = []
        for key, path in self.browser.image_items():
            prediction = self.state.prediction(key)
            if prediction is not None:
                measurement = self.state.measurements.get(key)
                items.append(
                    ExportItem(
                        key,
                        Path(path),
                        prediction,
                        ctr=measurement.to_ctr() if measurement else None,
                        comparison=self._comparison(key, path),
                    )
                )
        if not items:
            self.notifier.warn("Nothing to export: analyse the folder first")
            return 0
        self.exporter.export(items, self.export_style(), Path(folder))
        return len(items)

    def _on_report_written(self, key: str, path: str, digest: str, reference: dict) -> None:
        self.written_reports.append(Path(path))
        # The report is named by its hash: a file name may carry a patient's name.
        self.audit.record(
            "export",
            None,
            self.state.prediction(key),
            reference=reference,
            export_sha256=digest,
            deidentified=self.settings.deidentify,
        )

    def _on_exports_finished(self, written: int, failed: int) -> None:
        where = f" ({self.written_reports[-1].parent})" if written else ""
        self.notifier.info(f"Exported {written} report(s){where}" + (f", {failed} failed" if failed else ""))
        self.exports_done.emit(written, failed)

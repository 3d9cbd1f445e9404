"""File-menu actions for the DICOM network: Open from PACS, Export as DICOM (one / all), Send to PACS.

``install_pacs_actions(actions, menu)`` is the only hook the menus need; all work runs in
:class:`~cardioview.gui.network_worker.NetworkJob` threads. Every export, send (and, in the dialog,
retrieval) goes to the audit log: action, SOP/Study Instance UIDs, peer, outcome; never a name.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog

from cardioview.gui.network_worker import NetworkJob
from cardioview.results.film_result import judged
from cardioview.results.naming import OutputNames
from cardioview.results.writer import ResultWriter

#: De-identified DICOM exports are named cardioview_result (one) or cardioview_result_001... (all).
DICOM_NAMES = dict(anonymous="cardioview_result", digits=3)


class PacsActions:
    def __init__(self, actions, menu):
        self.actions, self.w = actions, actions.w
        self.dialog = None
        self.jobs: set[NetworkJob] = set()
        self.open_pacs_action = actions._action("Open from PACS…", "Ctrl+Shift+P", self.show_dialog, menu)
        self.export_dicom_action = actions._action("Export as DICOM (SC + SR)…", None, self.choose_export_dicom, menu)
        self.export_all_dicom_action = actions._action(
            "Export all analysed as DICOM…", None, self.choose_export_all, menu
        )
        self.send_action = actions._action("Send results to PACS…", None, self.choose_send, menu)

    # -- open -----------------------------------------------------------------------------
    def show_dialog(self):
        from cardioview.gui.pacs_dialog import PacsDialog

        if self.dialog is None:
            self.dialog = PacsDialog(self.w, audit=self.w.audit)
            self.dialog.retrieved.connect(lambda folder, label: self.w.open_folder(Path(folder), label))
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    # -- results as DICOM ---------------------------------------------------------------------
    def _current(self):
        xray, prediction = self.w.state.current_xray, self.w.state.prediction()
        if xray is None or prediction is None:
            self.w.notifier.warn("Nothing to export: open an image and wait for its analysis")
            return None
        measurement = self.w.state.measurement()
        comparison = self.actions.comparison.change_for(self.w.state.current_key, xray.source)  # issue 23
        return xray, prediction, measurement.to_ctr() if measurement else None, comparison

    def _weights_sha256(self) -> str:
        predictor = getattr(getattr(self.w, "worker", None), "predictor", None)
        bundle = getattr(predictor, "bundle", None)
        return bundle.manifest.get("model_sha256", "") if bundle is not None else ""

    def _writer(self) -> ResultWriter:
        style = self.w.export_style()
        return ResultWriter(opacity=style.opacity, deidentify=style.deidentify, weights_sha256=self._weights_sha256())

    def _objects(self, xray, prediction, ctr, comparison=None):
        """The SC, SR (+ SEG) of the film as the reader sees it: their calipers' CTR (none once removed) and the
        change since the prior study (issue 23)."""
        result = judged(prediction, xray).with_reader_ctr(ctr).with_comparison(comparison)
        return self._writer().dicom_objects(result)

    def _start(self, fn, done_message, audit) -> NetworkJob:
        """Run ``fn`` as a NetworkJob; ``audit(result)`` on success and ``audit(None)`` on failure
        record it (in the GUI thread) before the message."""
        job = NetworkJob(fn)
        self.jobs.add(job)
        job.signals.done.connect(
            lambda result: (self.jobs.discard(job), audit(result), self.w.notifier.info(done_message(result)))
        )
        job.signals.failed.connect(lambda reason: (self.jobs.discard(job), audit(None), self.w.notifier.warn(reason)))
        return job.start()

    def _audit(self, action: str, xray, objects, outcome: str, **extra) -> None:
        """One audit record: the source image (SOP UID or file hash), the result objects' UIDs, the outcome."""
        uids = (
            {}
            if objects is None
            else {
                "study_instance_uid": str(objects.sc.StudyInstanceUID),
                "sop_instance_uids": [str(ds.SOPInstanceUID) for ds in objects.datasets],
            }
        )
        self.w.audit.record(action, xray, **uids, outcome=outcome, deidentified=self.w.settings.deidentify, **extra)

    def export_dicom(self, folder: Path):
        current = self._current()
        if current is None:
            return None
        stem = OutputNames(self.w.settings.deidentify, **DICOM_NAMES).stem(current[0].source)

        def job(progress, cancel):
            objects = self._objects(*current)
            return self._writer().write_dicom(objects, folder, stem), objects

        def audit(result):
            self._audit("export_dicom", current[0], result and result[1], "success" if result else "failure")

        return self._start(job, lambda result: f"Saved {', '.join(Path(p).name for p in result[0])}", audit)

    def export_all(self, folder: Path):
        from cardioview.imaging import load

        items = [
            (
                key,
                path,
                self.w.state.prediction(key),
                self.w.state.measurements.get(key),
                self.actions.comparison.change_for(key, path),
            )  # issue 23: in the GUI thread
            for key, path in self.w.browser.image_items()
            if self.w.state.prediction(key) is not None
        ]
        if not items:
            self.w.notifier.warn("Nothing to export: analyse the folder first")
            return None

        done: list = []  # (xray, objects) written so far: a failure mid-way still audits those

        def job(progress, cancel):
            for n, (_key, path, prediction, measurement, comparison) in enumerate(items, 1):
                if cancel.is_set():
                    break
                stem = OutputNames(self.w.settings.deidentify, **DICOM_NAMES).stem(path, n)
                xray = load(path)
                objects = self._objects(xray, prediction, measurement.to_ctr() if measurement else None, comparison)
                self._writer().write_dicom(objects, folder, stem)
                done.append((xray, objects))
                progress(len(done))
            return len(done)

        def audit(result):
            for xray, objects in done:
                self._audit("export_dicom", xray, objects, "success")
            if result is None:
                self._audit("export_dicom", None, None, "failure", not_exported=len(items) - len(done))

        return self._start(job, lambda n: f"Saved {n} result(s) as DICOM in {folder}", audit)

    def choose_export_dicom(self):
        folder = QFileDialog.getExistingDirectory(
            self.w, "Export as DICOM to (existing files are kept)", self.w.settings.export_dir or str(Path.home())
        )
        if folder:
            self.export_dicom(Path(folder))

    def choose_export_all(self):
        folder = QFileDialog.getExistingDirectory(
            self.w, "Export all as DICOM to (existing files are kept)", self.w.settings.export_dir or str(Path.home())
        )
        if folder:
            self.export_all(Path(folder))

    # -- send -----------------------------------------------------------------------------
    def send_current(self, node):
        current = self._current()
        if current is None:
            return None
        from cardioview.gui.pacs_dialog import peer_name
        from cardioview.network.listener import send_results
        from cardioview.network.nodes import load_nodes

        built: list = []  # the objects, audited even when the store fails

        def job(progress, cancel):
            built.append(self._objects(*current))
            send_results(node, built[0].datasets, load_nodes().local_ae_title)
            return node.name

        def audit(result):
            self._audit(
                "send",
                current[0],
                built[0] if built else None,
                "success" if result else "failure",
                peer=peer_name(node),
            )

        return self._start(
            job, lambda name: f"Results (Secondary Capture, SR and Segmentation when outlined) sent to {name}", audit
        )

    def choose_send(self):
        from cardioview.gui.pacs_dialog import load_nodes_quietly

        nodes = load_nodes_quietly().nodes
        if not nodes:
            self.w.notifier.warn("No PACS node configured: add one in File > Open from PACS")
            return
        name, ok = QInputDialog.getItem(self.w, "Send to PACS", "Node", [n.name for n in nodes], 0, False)
        if ok:
            self.send_current(next(n for n in nodes if n.name == name))


def install_pacs_actions(actions, menu) -> PacsActions:
    return PacsActions(actions, menu)

"""Fetch priors from the PACS (issue 23, Shift+C): the patient's earlier CR/DX studies, retrieved and analysed.

In a NetworkJob thread: C-FIND by Patient ID (network/priors.py), then each study into the cache
(gui.pacs_dialog.retrieve: C-GET, C-MOVE or WADO-RS as the node says). Back in the GUI thread the films join
the browser's "Opened files" and the model worker analyses them, so Compare with prior and the trend see them.
Every retrieval is audited (UIDs, peer, outcome; never a name).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from cardioview.gui.network_worker import NetworkJob
from cardioview.gui.study_tree import image_key


class PriorFetcher(QObject):
    """Signals: fetched(int): the number of films added (0 when the PACS had no other study)."""

    fetched = Signal(int)

    def __init__(self, controller):
        super().__init__(controller.window)
        self.controller, self.window = controller, controller.window
        self.job: NetworkJob | None = None

    def node(self):
        """The first configured PACS node, or None."""
        from cardioview.gui.pacs_dialog import load_nodes_quietly

        nodes = load_nodes_quietly().nodes
        return nodes[0] if nodes else None

    def fetch_for_current(self) -> NetworkJob | None:
        """Start fetching the priors of the patient on screen; None (with a message) when it cannot."""
        w = self.window
        xray = w.state.current_xray
        node = self.node()
        if xray is None:
            w.notifier.warn("Open a film first")
            return None
        if node is None:
            w.notifier.warn("No PACS node configured: add one in File > Open from PACS")
            return None
        if not xray.metadata.patient_id:
            w.notifier.warn(f"{xray.name}: no Patient ID, so no prior can be searched for")
            return None
        if self.job is not None:
            return self.job
        from cardioview.gui.pacs_dialog import load_nodes_quietly, retrieve
        from cardioview.network.cache import StudyCache
        from cardioview.network.priors import find_prior_studies

        settings = load_nodes_quietly()
        meta = xray.metadata
        open_studies = {m.study_instance_uid for m in self.controller.patient_films.headers.values()}
        open_studies.add(meta.study_instance_uid)
        cache = StudyCache()
        retrieved: list[tuple[str, str, list[Path]]] = []  # (study uid, outcome, files): audited in the GUI thread

        def job(progress, cancel):
            studies = find_prior_studies(
                node, meta.patient_id, meta.study_date, open_studies, settings.local_ae_title, cancel
            )
            for study in studies:
                uid = str(study.StudyInstanceUID)
                try:
                    paths = retrieve(node, uid, cache, settings.local_ae_title, settings.local_port, progress, cancel)
                except Exception:
                    retrieved.append((uid, "failure", []))
                    raise
                retrieved.append((uid, "success", [Path(p) for p in paths or []]))
            return len(studies)

        self.job = NetworkJob(job)
        self.job.signals.done.connect(lambda n: self._on_done(node, n, retrieved))
        self.job.signals.failed.connect(lambda reason: self._on_failed(node, reason, retrieved))
        w.notifier.info(f"Searching {node.name} for earlier studies of this patient…")
        return self.job.start()

    def _audit(self, node, retrieved) -> None:
        from cardioview.gui.pacs_dialog import peer_name

        for uid, outcome, paths in retrieved:
            self.window.audit.record(
                "retrieve",
                study_instance_uid=uid,
                sop_instance_uids=[p.stem for p in paths],
                peer=peer_name(node),
                outcome=outcome,
            )

    def _on_done(self, node, studies: int, retrieved) -> None:
        self.job = None
        self._audit(node, retrieved)
        paths = [p for _uid, _outcome, files in retrieved for p in files]
        known = {key for key, _path in self.window.browser.image_items()}
        new = [p for p in paths if image_key(p) not in known]
        if new:
            self.window.browser.add_files(new)
            for path in new:
                self.controller.analyser.load(image_key(path), path)  # analysed in the worker thread
        self.window.notifier.info(
            f"{node.name}: {studies} earlier stud{'y' if studies == 1 else 'ies'} of this "
            f"patient, {len(new)} film(s) added and being analysed"
        )
        self.fetched.emit(len(new))

    def _on_failed(self, node, reason: str, retrieved) -> None:
        self.job = None
        self._audit(node, retrieved)
        self.window.notifier.warn(reason)
        self.fetched.emit(0)

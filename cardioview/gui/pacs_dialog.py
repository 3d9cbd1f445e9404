"""File > Open from PACS: choose or add a node, test it (Echo), search, retrieve into the cache, open it.

Retrievals are recorded in the audit log (Study/SOP Instance UIDs, peer, outcome; never a name).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cardioview.errors import CardioViewError
from cardioview.gui.network_worker import NetworkJob
from cardioview.gui.screen_fit import fit_dialog
from cardioview.network.cache import StudyCache
from cardioview.network.dimse import StudyQuery
from cardioview.network.nodes import Node, load_nodes, save_nodes

COLUMNS = ("Patient ID", "Patient", "Date", "Modalities", "Images", "Accession", "Description")
#: Result rows the table always has room for, whatever else the dialog shows (issue 18: 1280x720 screens).
MIN_ROWS_SHOWN = 5
KEYS = (
    "PatientID",
    "PatientName",
    "StudyDate",
    "ModalitiesInStudy",
    "NumberOfStudyRelatedInstances",
    "AccessionNumber",
    "StudyDescription",
)


def search(node: Node, query: StudyQuery, local_ae: str, cancel):
    from cardioview.network import dicomweb, dimse

    if node.has_dimse:
        return dimse.find(node, query, local_ae=local_ae, cancel=cancel)
    return dicomweb.search(node, query)


def echo(node: Node, local_ae: str) -> str:
    """Test the connection: C-ECHO for a DIMSE node, a QIDO-RS query for a DICOMweb-only one.

    Returns:
        What answered, e.g. "C-ECHO to ORTHANC@127.0.0.1:4242 succeeded".
    """
    from cardioview.network import dicomweb, dimse

    if node.has_dimse:
        dimse.echo(node, local_ae)
        return f"C-ECHO to {node.ae_title}@{node.host}:{node.port} succeeded"
    dicomweb.search(node, StudyQuery(), study_uid="1.2.826.0.1.3680043.2.1143.0")  # any answer will do
    return f"DICOMweb (QIDO-RS) at {node.dicomweb_url} answered"


def study_label(ds) -> str:
    """What the window calls a retrieved study: date · description · modalities (no patient name: the
    title bar shows in task bars and shared screens; the browser's tree names the patient)."""
    date = str(ds.get("StudyDate", "") or "")
    date = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 and date.isdigit() else date
    modalities = ds.get("ModalitiesInStudy", "")
    if isinstance(modalities, (list, tuple)) or getattr(modalities, "VM", 1) > 1:
        modalities = "/".join(str(m) for m in modalities)
    parts = [date, str(ds.get("StudyDescription", "") or "").strip(), str(modalities or "")]
    return " · ".join(p for p in parts if p) or "Study from PACS"


def retrieve(node: Node, study_uid: str, cache: StudyCache, local_ae: str, local_port: int, progress, cancel):
    from cardioview.network import dicomweb, dimse

    if not node.has_dimse:
        return dicomweb.retrieve(node, study_uid, cache, progress=progress, cancel=cancel)
    if node.retrieve == "move":
        return dimse.move(node, study_uid, cache, local_ae, local_port, progress=progress, cancel=cancel)
    return dimse.get(node, study_uid, cache, local_ae=local_ae, progress=progress, cancel=cancel)


class PacsDialog(QDialog):
    """Signals: retrieved(folder, label): a study is in the cache (the window opens the folder and
    calls it ``label``, see :func:`study_label`).

    Args:
        audit: the audit log retrievals are recorded in (None: not recorded).
    """

    retrieved = Signal(str, str)

    def __init__(self, parent=None, cache: StudyCache | None = None, audit=None):
        super().__init__(parent)
        self.setWindowTitle("Open from PACS")
        self.cache = cache
        self.audit = audit
        self.job: NetworkJob | None = None
        self.settings = load_nodes_quietly()
        self.studies = []
        layout = QVBoxLayout(self)

        node_row = QHBoxLayout()
        self.node_box = QComboBox()
        node_row.addWidget(QLabel("Node"))
        node_row.addWidget(self.node_box, 1)
        self.echo_button = QPushButton("Echo")
        self.echo_button.setToolTip("Test the connection to this node (C-ECHO, or a DICOMweb query)")
        node_row.addWidget(self.echo_button)
        layout.addLayout(node_row)
        # Search and node editor side by side: with no node saved yet the editor is open, and stacked above the
        # search it left the results table one row on a 1280x720 screen (issue 18).
        search_box = QGroupBox("Search")
        form = QFormLayout(search_box)
        self.patient_id, self.patient_name, self.accession = QLineEdit(), QLineEdit(), QLineEdit()
        self.modalities = QLineEdit("CR,DX")
        self.use_dates = QCheckBox("Study date from")
        self.date_from, self.date_to = QDateEdit(QDate.currentDate().addYears(-1)), QDateEdit(QDate.currentDate())
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        dates = QHBoxLayout()
        for widget in (self.use_dates, self.date_from, QLabel("to"), self.date_to):
            dates.addWidget(widget)
        form.addRow("Patient ID", self.patient_id)
        form.addRow("Patient name", self.patient_name)
        form.addRow(dates)
        form.addRow("Modalities", self.modalities)
        form.addRow("Accession", self.accession)
        self.node_editor = self._node_editor()
        top = QHBoxLayout()
        top.addWidget(search_box, 1, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.node_editor, 1, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        buttons = QHBoxLayout()
        self.search_button = QPushButton("Search")
        self.retrieve_button = QPushButton("Retrieve and open")
        self.cancel_button = QPushButton("Cancel")
        for b in (self.search_button, self.retrieve_button, self.cancel_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        header, row = self.table.horizontalHeader(), self.table.verticalHeader()
        minimum = header.sizeHint().height() + MIN_ROWS_SHOWN * row.defaultSectionSize() + 2 * self.table.frameWidth()
        self.table.setMinimumHeight(minimum)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)

        self.echo_button.clicked.connect(self.start_echo)
        self.search_button.clicked.connect(self.start_search)
        self.retrieve_button.clicked.connect(self.start_retrieve)
        self.cancel_button.clicked.connect(self.cancel)
        self._refresh_nodes()
        self._set_busy(False)
        fit_dialog(self, (1040, 640))  # issue 18: usable at 1280x720

    # -- nodes ----------------------------------------------------------------------------
    def _node_editor(self) -> QGroupBox:
        """The node form, two fields a row; folded once a node exists, so the results keep their room."""
        box = QGroupBox("Add or update a node (saved in the PACS settings)")
        box.setCheckable(True)
        content = QWidget()
        QVBoxLayout(box).addWidget(content)
        box.toggled.connect(content.setVisible)
        box.setChecked(not self.settings.nodes)
        content.setVisible(box.isChecked())
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, 0, 0)
        self.edit_name, self.edit_ae, self.edit_host = QLineEdit(), QLineEdit(), QLineEdit()
        self.edit_port = QSpinBox()
        self.edit_port.setRange(1, 65535)
        self.edit_port.setValue(104)
        self.edit_url = QLineEdit()
        self.edit_url.setPlaceholderText("http://pacs:8042/dicom-web (optional)")
        self.edit_retrieve = QComboBox()
        self.edit_retrieve.addItems(["get", "move"])
        self.local_ae = QLineEdit(self.settings.local_ae_title)
        save = QPushButton("Save node")
        save.clicked.connect(self.save_node)
        rows = (
            (("Name", self.edit_name), ("AE title", self.edit_ae)),
            (("Host", self.edit_host), ("Port", self.edit_port)),
            (("DICOMweb URL", self.edit_url),),  # a URL needs the whole width
            (("Retrieve by", self.edit_retrieve), ("Our AE title", self.local_ae)),
        )
        for row, pairs in enumerate(rows):
            for column, (label, widget) in enumerate(pairs):
                grid.addWidget(QLabel(label), row, 2 * column)
                grid.addWidget(widget, row, 2 * column + 1, 1, 1 if len(pairs) == 2 else 3)
        grid.addWidget(save, len(rows), 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)
        return box

    def save_node(self) -> None:
        try:
            node = Node(
                name=self.edit_name.text().strip(),
                ae_title=self.edit_ae.text().strip(),
                host=self.edit_host.text().strip(),
                port=self.edit_port.value(),
                dicomweb_url=self.edit_url.text().strip(),
                retrieve=self.edit_retrieve.currentText(),
            )
            self.settings.local_ae_title = self.local_ae.text().strip() or self.settings.local_ae_title
            self.settings.nodes = [n for n in self.settings.nodes if n.name != node.name] + [node]
            save_nodes(self.settings)
        except (CardioViewError, OSError) as exc:
            self.status.setText(f"Node not saved: {exc}")
            return
        self._refresh_nodes(select=node.name)
        self.status.setText(f"Saved node {node.name}")

    def _refresh_nodes(self, select: str = "") -> None:
        self.node_box.clear()
        for node in self.settings.nodes:
            self.node_box.addItem(node.name)
        if select:
            self.node_box.setCurrentText(select)

    def current_node(self) -> Node | None:
        name = self.node_box.currentText()
        return next((n for n in self.settings.nodes if n.name == name), None)

    # -- search and retrieve --------------------------------------------------------------
    def query(self) -> StudyQuery:
        dates = ("", "")
        if self.use_dates.isChecked():
            dates = (self.date_from.date().toString("yyyyMMdd"), self.date_to.date().toString("yyyyMMdd"))
        modalities = tuple(m.strip().upper() for m in self.modalities.text().split(",") if m.strip())
        return StudyQuery(
            self.patient_id.text().strip(),
            self.patient_name.text().strip(),
            *dates,
            modalities,
            self.accession.text().strip(),
        )

    def start_echo(self) -> None:
        node = self.current_node()
        if node is None:
            self.status.setText("Add a node first")
            return
        local = self.settings.local_ae_title
        self._run(
            lambda progress, cancel: echo(node, local),
            self.status.setText,
            f"Testing {node.name}…",
            on_failed=lambda reason: self.status.setText(f"Echo failed: {reason}"),
        )

    def start_search(self) -> None:
        node = self.current_node()
        if node is None:
            self.status.setText("Add a node first")
            return
        query, local = self.query(), self.settings.local_ae_title
        self._run(
            lambda progress, cancel: search(node, query, local, cancel),
            self._show_studies,
            f"Searching {node.name}…",
            on_failed=self._search_failed,
        )

    def _search_failed(self, reason: str) -> None:
        """No stale rows: the previous results would read as this search's (and could be retrieved)."""
        self._show_studies([])
        self.status.setText(f"Search failed: {reason}")

    def _show_studies(self, studies) -> None:
        self.studies = list(studies)
        self.table.setRowCount(len(self.studies))
        for row, ds in enumerate(self.studies):
            for column, key in enumerate(KEYS):
                value = ds.get(key, "")
                value = "\\".join(value) if isinstance(value, (list, tuple)) or getattr(value, "VM", 1) > 1 else value
                self.table.setItem(row, column, QTableWidgetItem(str(value)))
        self.status.setText(f"{len(self.studies)} stud{'y' if len(self.studies) == 1 else 'ies'} found")
        if self.studies:
            self.table.selectRow(0)

    def start_retrieve(self) -> None:
        node, rows = self.current_node(), sorted({i.row() for i in self.table.selectedIndexes()})
        if node is None or not rows:
            self.status.setText("Search, then choose a study")
            return
        study = self.studies[rows[0]]
        study_uid, label = str(study.StudyInstanceUID), study_label(study)
        cache = self.cache or StudyCache()
        local, port = self.settings.local_ae_title, self.settings.local_port

        def job(progress, cancel):
            paths = retrieve(node, study_uid, cache, local, port, progress, cancel) or []
            return str(cache.study_dir(study_uid)), [Path(p).stem for p in paths]

        def failed(reason: str) -> None:
            self._audit_retrieval(node, study_uid, "failure")
            self.status.setText(reason)

        self._run(
            job,
            lambda result: self._on_retrieved(node, study_uid, label, *result),
            f"Retrieving from {node.name}…",
            on_failed=failed,
        )

    def _on_retrieved(self, node: Node, study_uid: str, label: str, folder: str, sop_uids: list[str]) -> None:
        self._audit_retrieval(node, study_uid, "success", sop_uids)
        count = len(list(Path(folder).glob("*.dcm")))
        self.status.setText(f"Retrieved {count} file(s); opening them")
        self.retrieved.emit(folder, label)

    def _audit_retrieval(self, node: Node, study_uid: str, outcome: str, sop_uids: list[str] = ()) -> None:
        if self.audit is not None:
            self.audit.record(
                "retrieve",
                study_instance_uid=study_uid,
                sop_instance_uids=list(sop_uids),
                peer=peer_name(node),
                outcome=outcome,
            )

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.status.setText("Cancelling…")

    def _run(self, fn, on_done, message: str, on_failed=None) -> None:
        if self.job is not None:
            return
        self.job = NetworkJob(fn)
        self.job.signals.progress.connect(lambda n: self.status.setText(f"{message} {n} file(s)"))
        self.job.signals.done.connect(lambda result: (self._finish(), on_done(result)))
        self.job.signals.failed.connect(lambda reason: (self._finish(), (on_failed or self.status.setText)(reason)))
        self.status.setText(message)
        self._set_busy(True)
        self.job.start()

    def _finish(self) -> None:
        self.job = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.search_button.setEnabled(not busy)
        self.echo_button.setEnabled(not busy)
        self.retrieve_button.setEnabled(not busy)


def peer_name(node: Node) -> str:
    """The peer as the audit log names it: AE@host:port, or the DICOMweb URL."""
    return f"{node.ae_title}@{node.host}:{node.port}" if node.has_dimse else node.dicomweb_url


def load_nodes_quietly():
    from cardioview.network.nodes import NodeSettings

    try:
        return load_nodes()
    except CardioViewError:
        return NodeSettings()

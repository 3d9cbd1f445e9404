"""The study browser: Patient > Study > Series > Image, with lazy thumbnails and a probability column.

The rows, their thumbnails and their sort order are the item model's (gui/study_model.py); this widget fills
the tree and paints the probability cells. Parents show the highest probability below them, so
sorting the column turns a folder into a triage list at every level.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPixmap, QStandardItem
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from cardioview.gui.browser_width import widen_to_fit
from cardioview.gui.loaders import ImageLoader
from cardioview.gui.panel_widgets import NEGATIVE_COLOUR, NEUTRAL_COLOUR, POSITIVE_COLOUR
from cardioview.gui.study_model import (
    ERROR_COLOUR,
    ERROR_ROLE,
    KEY_ROLE,
    NA_ROLE,
    PATH_ROLE,
    PROB_ROLE,
    SORT_ROLE,
    THUMBNAIL_ICON,
    ProbabilitySortProxy,
    StudyModel,
    ThumbnailDelegate,
)
from cardioview.gui.study_tree import WARNING_FLAG, Node, image_key, index_tree

#: Sort value of a not-applicable image: below every real probability, above the unanalysed.
NOT_APPLICABLE_SORT = -0.5
NOT_APPLICABLE_TEXT = "N/A " + WARNING_FLAG


class StudyBrowser(QWidget):
    """Left panel: the folder's tree, the skipped files and the "Analyse all" button.

    Signals:
        image_selected(str, str): the user picked an image (key, path).
        analyse_requested(): "Analyse all" was clicked.
    """

    image_selected = Signal(str, str)
    analyse_requested = Signal()

    def __init__(self, loader: ImageLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("browserPanel")
        self.model = StudyModel(loader)
        self.proxy = ProbabilitySortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.threshold = 0.5
        self._order = 0
        self._loose: QStandardItem | None = None

        self.title = QLabel("No folder open")
        self.title.setObjectName("sectionTitle")
        self.analyse_button = QPushButton("Analyse all")
        self.analyse_button.setObjectName("primary")
        self.analyse_button.setEnabled(False)
        self.analyse_button.clicked.connect(self.analyse_requested)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setItemDelegateForColumn(0, ThumbnailDelegate(self.model, self.tree))
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setIndentation(14)
        # Elide at the end: four encodings of one film differ at the end of the name, which the tooltip shows.
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setMinimumWidth(240)
        self.tree.setIconSize(QPixmap(THUMBNAIL_ICON, THUMBNAIL_ICON).size())
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSortingEnabled(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, self.tree.header().ResizeMode.Stretch)
        self.tree.setColumnWidth(1, 58)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        self.skipped_title = QLabel()
        self.skipped_title.setObjectName("skippedTitle")
        self.skipped = QListWidget()
        self.skipped.setObjectName("skippedList")
        self.skipped.setMaximumHeight(110)
        self.skipped.setWordWrap(True)

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.analyse_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 6, 8)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.skipped_title)
        layout.addWidget(self.skipped)
        self._refresh_skipped()

    # -- content ---------------------------------------------------------------
    def clear(self) -> None:
        self.model.reset()
        self.skipped.clear()
        self._loose = None
        self._order = 0
        self._refresh_skipped()

    def set_scanning(self, text: str) -> None:
        self.title.setText(text or "No folder open")

    def set_index(self, index) -> int:
        """Fill the tree from a StudyIndex; returns the number of images."""
        self.clear()
        root = index_tree(index)
        for child in root.children:
            self._add_node(self.model.invisibleRootItem(), child)
        for error in index.errors:
            self.add_skipped(error.path, error.reason)
        for path in index.skipped:
            self.add_skipped(path, "not an image (skipped)")
        count = len(self.model.items)
        self.title.setText(f"{Path(index.root).name or 'Folder'} · {count} image(s)")
        self.tree.expandAll()
        return count

    def _add_node(self, parent: QStandardItem, node: Node) -> None:
        name = QStandardItem(node.label)
        name.setToolTip(node.tooltip or node.label)
        prob = QStandardItem("")
        prob.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._order += 1
        name.setData(self._order, SORT_ROLE)
        prob.setData(None, SORT_ROLE)
        if node.key is not None:
            if node.not_applicable:
                prob.setText(NOT_APPLICABLE_TEXT)
                prob.setToolTip(f"Not applicable: {node.not_applicable}")
                prob.setForeground(QBrush(QColor(NEUTRAL_COLOUR)))
            name.setData(node.key, KEY_ROLE)
            name.setData(str(node.path), PATH_ROLE)
            name.setData(self.model.placeholder, Qt.ItemDataRole.DecorationRole)
            self.model.items[node.key] = name
        if node.error:  # the header scan knows it will not load: marked now, before any click or decode
            name.setData(node.error, ERROR_ROLE)
            name.setData(str(node.path), PATH_ROLE)
            name.setData(self.model.unreadable, Qt.ItemDataRole.DecorationRole)
            name.setForeground(QBrush(QColor(ERROR_COLOUR)))
            prob.setText("error")
            prob.setToolTip(node.error)
            prob.setForeground(QBrush(QColor(NEUTRAL_COLOUR)))
        elif node.key is None:
            font = name.font()
            font.setBold(True)
            name.setFont(font)
            if node.children and all(child.error for child in node.children):
                name.setForeground(QBrush(QColor(ERROR_COLOUR)))
        parent.appendRow([name, prob])
        for child in node.children:
            self._add_node(name, child)

    def add_files(self, paths: list[Path]) -> list[str]:
        """Add loose files under "Opened files"; returns their keys (existing rows are reused)."""
        if self._loose is None:
            self._loose = QStandardItem("Opened files")
            font = self._loose.font()
            font.setBold(True)
            self._loose.setFont(font)
            self._loose.setData(-1, SORT_ROLE)
            self.model.invisibleRootItem().appendRow([self._loose, QStandardItem("")])
        if not self.model.items or self.title.text() == "No folder open":
            self.title.setText("Opened files")
        keys = []
        for path in paths:
            key = image_key(path)
            if key not in self.model.items:
                self._add_node(self._loose, Node(Path(path).name, key=key, path=Path(path), tooltip=str(path)))
            keys.append(key)
        self.tree.expandAll()
        return keys

    def add_skipped(self, path: Path, reason: str) -> None:
        item = QListWidgetItem(f"{Path(path).name} — {reason}")
        item.setToolTip(str(path))
        self.skipped.addItem(item)
        self._refresh_skipped()

    def _refresh_skipped(self) -> None:
        n = self.skipped.count()
        self.skipped_title.setText(f"Not loaded ({n})")
        self.skipped_title.setVisible(n > 0)
        self.skipped.setVisible(n > 0)

    def widen_to_fit(self) -> None:
        """Widen this pane of its splitter until no file name shown is cut short (issue 18)."""
        widen_to_fit(self)

    # -- results -----------------------------------------------------------------
    def set_probability(self, key: str, probability: float, threshold: float, not_applicable: str = "") -> None:
        """Show an image's result; a not-applicable one is flagged, sorts last and is left out of its parents."""
        item = self.model.items.get(key)
        if item is None:
            return
        cell = self._prob_cell(item)
        if not_applicable:
            cell.setData(not_applicable, NA_ROLE)
            cell.setData(None, PROB_ROLE)
            cell.setText(NOT_APPLICABLE_TEXT)
            cell.setToolTip(f"Not applicable: {not_applicable} (no verdict)")
            cell.setData(NOT_APPLICABLE_SORT, SORT_ROLE)
            cell.setForeground(QBrush(QColor(NEUTRAL_COLOUR)))
            return
        cell.setData(float(probability), PROB_ROLE)
        self._paint_probability(cell, threshold)
        parent = item.parent()
        while parent is not None:  # parents carry the highest probability below them
            parent_cell = self._prob_cell(parent)
            current = parent_cell.data(PROB_ROLE)
            if current is None or probability > current:
                parent_cell.setData(float(probability), PROB_ROLE)
                self._paint_probability(parent_cell, threshold)
            parent = parent.parent()

    def set_threshold(self, threshold: float) -> None:
        self.threshold = threshold
        stack = [self.model.invisibleRootItem()]
        while stack:
            item = stack.pop()
            for row in range(item.rowCount()):
                cell = item.child(row, 1)
                if cell is not None and cell.data(PROB_ROLE) is not None:
                    self._paint_probability(cell, threshold)
                stack.append(item.child(row, 0))

    def _paint_probability(self, cell: QStandardItem, threshold: float) -> None:
        p = float(cell.data(PROB_ROLE))
        cell.setText(f"{p * 100:.0f}%")
        cell.setData(p, SORT_ROLE)
        cell.setForeground(QBrush(QColor(POSITIVE_COLOUR if p >= threshold else NEGATIVE_COLOUR)))

    def set_error(self, key: str, reason: str) -> None:
        item = self.model.items.get(key)
        if item is None:
            return
        item.setToolTip(reason)
        item.setForeground(QBrush(QColor(ERROR_COLOUR)))
        cell = self._prob_cell(item)
        cell.setText("error")
        cell.setToolTip(reason)
        cell.setForeground(QBrush(QColor(NEUTRAL_COLOUR)))

    def error_rows(self) -> dict[str, str]:
        """{path: reason} of the rows marked unreadable by the header scan."""
        rows: dict[str, str] = {}
        stack = [self.model.invisibleRootItem()]
        while stack:
            item = stack.pop()
            for row in range(item.rowCount()):
                child = item.child(row, 0)
                if child.data(ERROR_ROLE):
                    rows[child.data(PATH_ROLE)] = child.data(ERROR_ROLE)
                stack.append(child)
        return rows

    def _prob_cell(self, item: QStandardItem) -> QStandardItem:
        parent = item.parent() or self.model.invisibleRootItem()
        return parent.child(item.row(), 1)

    def probability_text(self, key: str) -> str:
        item = self.model.items.get(key)
        return self._prob_cell(item).text() if item is not None else ""

    # -- navigation ----------------------------------------------------------------
    def image_items(self) -> list[tuple[str, str]]:
        """(key, path) of every image, in display order of the scan."""
        return [(key, item.data(PATH_ROLE)) for key, item in self.model.items.items()]

    def visible_keys(self) -> list[str]:
        """Image keys in the order the tree shows them now (after sorting)."""
        keys: list[str] = []

        def walk(parent: QModelIndex) -> None:
            for row in range(self.proxy.rowCount(parent)):
                index = self.proxy.index(row, 0, parent)
                key = index.data(KEY_ROLE)
                if key:
                    keys.append(key)
                walk(index)

        walk(QModelIndex())
        return keys

    def select(self, key: str) -> None:
        item = self.model.items.get(key)
        if item is not None:
            index = self.proxy.mapFromSource(item.index())
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def select_first(self) -> None:
        """Select the first image in the tree, preferring one the header scan did not mark unreadable."""
        keys = self.visible_keys()
        readable = [k for k in keys if not self.model.items[k].data(ERROR_ROLE)]
        if keys:
            self.select((readable or keys)[0])

    def select_step(self, step: int) -> None:
        """Select the next (+1) or previous (-1) image in the tree's order."""
        keys = self.visible_keys()
        if not keys:
            return
        current = self.tree.currentIndex().data(KEY_ROLE)
        i = keys.index(current) + step if current in keys else 0
        self.select(keys[max(0, min(len(keys) - 1, i))])

    def sort_by_probability(self) -> None:
        self.tree.sortByColumn(1, Qt.SortOrder.DescendingOrder)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        index = current.siblingAtColumn(0)
        key = index.data(KEY_ROLE)
        if key:
            self.image_selected.emit(key, index.data(PATH_ROLE))

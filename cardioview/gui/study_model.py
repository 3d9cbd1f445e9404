"""The study browser's item model: image rows, their lazy thumbnails, and the sort order of the probability column.

Thumbnails are decoded only when a row is painted (``ThumbnailDelegate``), in the loader's thumbnail thread,
and kept in a bounded LRU cache (``ThumbnailCache``), so a folder of thousands of images costs rows, not pixels.
The item data roles below are how the browser, the anatomy view and the tests read a row.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QStyledItemDelegate

from cardioview.gui.loaders import ImageLoader

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
PROB_ROLE = Qt.ItemDataRole.UserRole + 4
NA_ROLE = Qt.ItemDataRole.UserRole + 5
#: On rows of files that cannot be read: the reason.
ERROR_ROLE = Qt.ItemDataRole.UserRole + 6
#: Text of unreadable files' rows: red, unlike the orange-red of a positive verdict.
ERROR_COLOUR = "#e5484d"
#: Thumbnails kept in memory; rows scrolled far away are decoded again if revisited.
THUMBNAIL_CACHE = 256
#: Row icon side; thumbnails are decoded a little larger for sharpness on high-DPI screens.
THUMBNAIL_ICON = 40


class ThumbnailCache:
    """A bounded LRU of thumbnails by image key."""

    def __init__(self, capacity: int = THUMBNAIL_CACHE):
        self.capacity = capacity
        self._items: OrderedDict[str, object] = OrderedDict()

    def get(self, key: str):
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value) -> list[str]:
        """Store ``value``; returns the keys evicted to stay within capacity."""
        self._items[key] = value
        self._items.move_to_end(key)
        evicted = []
        while len(self._items) > self.capacity:
            evicted.append(self._items.popitem(last=False)[0])
        return evicted

    def clear(self) -> None:
        self._items.clear()

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


def _pixmap(gray: np.ndarray) -> QPixmap:
    gray = np.ascontiguousarray(gray)
    image = QImage(gray.data, gray.shape[1], gray.shape[0], gray.strides[0], QImage.Format.Format_Grayscale8)
    pixmap = QPixmap.fromImage(image.copy())
    # Drawn at the icon's side (the extra pixels serve high-DPI screens): a row keeps the placeholder's
    # height when its thumbnail arrives, so a row just scrolled into view (End, a kept selection) stays there.
    pixmap.setDevicePixelRatio(max(1.0, max(gray.shape[:2]) / THUMBNAIL_ICON))
    return pixmap


def _placeholder(colour: str) -> QPixmap:
    pixmap = QPixmap(THUMBNAIL_ICON, THUMBNAIL_ICON)
    pixmap.fill(QColor(colour))
    return pixmap


def _error_icon() -> QPixmap:
    """The unreadable placeholder with a red "!" disc, so a broken row reads as broken without its colour."""
    pixmap = _placeholder("#3a2222")
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(ERROR_COLOUR))
    side = THUMBNAIL_ICON * 0.6
    offset = (THUMBNAIL_ICON - side) / 2
    painter.drawEllipse(offset, offset, side, side)
    painter.setPen(QPen(QColor("white")))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(side * 0.75))
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()
    return pixmap


class StudyModel(QStandardItemModel):
    """Tree model whose image rows get their thumbnail once painted.

    Image rows start with a shared placeholder icon; a cached thumbnail
    replaces it, and eviction from the bounded cache puts the placeholder back.
    (The lazy hook is the delegate's paint, not an override of ``data()``:
    PySide6 6.12 mishandles the reference count of None returned from a
    Python ``data()`` override and crashes at exit.)
    """

    def __init__(self, loader: ImageLoader):
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(["Study / image", "P"])
        self.loader = loader
        self.thumbnails = ThumbnailCache()
        self.items: dict[str, QStandardItem] = {}
        self.placeholder = _placeholder("#1f242c")
        self.unreadable = _error_icon()
        loader.thumbnail.connect(self._on_thumbnail)

    def ensure_thumbnail(self, key: str) -> None:
        """Ask for ``key``'s thumbnail unless it is cached (a cache hit refreshes its LRU place)."""
        if self.thumbnails.get(key) is None and key in self.items and not self.items[key].data(ERROR_ROLE):
            self.loader.request_thumbnail(key, self.items[key].data(PATH_ROLE))

    def _on_thumbnail(self, key: str, gray) -> None:
        item = self.items.get(key)
        if item is None:
            return
        pixmap = self.unreadable if gray is None else _pixmap(gray)
        if gray is None:  # marked as broken as soon as the row is drawn, not only when clicked
            item.setForeground(QBrush(QColor(ERROR_COLOUR)))
        for old in self.thumbnails.put(key, pixmap):
            if old in self.items:
                self.items[old].setData(self.placeholder, Qt.ItemDataRole.DecorationRole)
        item.setData(pixmap, Qt.ItemDataRole.DecorationRole)

    def reset(self) -> None:
        self.removeRows(0, self.rowCount())
        self.items.clear()
        self.thumbnails.clear()


class ThumbnailDelegate(QStyledItemDelegate):
    """Requests a row's thumbnail when the row is painted (i.e. scrolled into view)."""

    def __init__(self, model: StudyModel, parent=None):
        super().__init__(parent)
        self._model = model

    def paint(self, painter, option, index) -> None:
        if index.column() == 0:
            key = index.data(KEY_ROLE)
            if key:
                self._model.ensure_thumbnail(key)
        super().paint(painter, option, index)


class ProbabilitySortProxy(QSortFilterProxyModel):
    """Sorts rows by their SORT_ROLE: the scan order in the name column, the probability in the P column."""

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        return (a if a is not None else -1.0) < (b if b is not None else -1.0)

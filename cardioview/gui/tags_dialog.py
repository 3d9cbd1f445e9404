"""The DICOM tags of the current image, in a searchable non-modal dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from cardioview.gui.screen_fit import fit_dialog
from cardioview.imaging.xray import XRay

_MAX_VALUE_CHARS = 200


def header_rows(xray: XRay) -> list[tuple[str, str, str, str]]:
    """(tag, keyword, VR, value) rows: the file's DICOM header, or what is known of a raster file.

    Pixel data and other bulk binary values are summarised, not dumped.
    """
    path = Path(xray.source)
    try:
        from cardioview.imaging.dicom_header import read_dataset

        dataset = read_dataset(path, stop_before_pixels=True)
    except Exception:  # not DICOM (or no longer readable): show what the loader kept
        known = [("", name, "", value) for name, value in xray.metadata.to_dict().items() if value]
        return [("", "File", "", f"{path.name} (not a DICOM file: no tags)")] + known
    rows = []
    for element in dataset.iterall():
        if element.VR in ("OB", "OW", "OF", "OD", "UN", "SQ"):
            size = len(element.value) if element.value is not None else 0
            value = f"<{element.VR}, {size} {'items' if element.VR == 'SQ' else 'bytes'}>"
        else:
            value = str(element.value)
        if len(value) > _MAX_VALUE_CHARS:
            value = value[:_MAX_VALUE_CHARS] + "…"
        rows.append(
            (
                f"({element.tag.group:04X},{element.tag.element:04X})",
                element.keyword or element.name,
                str(element.VR),
                value,
            )
        )
    return rows


class TagsDialog(QDialog):
    """Lists the tags; the filter box matches any column."""

    def __init__(self, xray: XRay, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"DICOM tags — {xray.name}")
        fit_dialog(self, (760, 560))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter tags (name, number or value)…")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Tag", "Name", "VR", "Value"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        for row in header_rows(xray):
            QTreeWidgetItem(self.tree, list(row))
        for column, width in enumerate((110, 220, 40)):
            self.tree.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self._apply_filter)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _apply_filter(self, text: str) -> None:
        needle = text.lower()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            item.setHidden(bool(needle) and not any(needle in item.text(c).lower() for c in range(4)))

"""The viewer's side of the segmenter: automatic CTR calipers, heart/lung outlines, the CTR column.

One object, attached to the main window with a single call (``AnatomyView(window)``),
so the shared gui modules need no more than that hook:
- when a prediction with an automatic CTR arrives, its calipers become the image's
  measurement (unless the user already placed some); they stay draggable
  (gui/calipers.py) and the panel line says "automatic" until a caliper moves, then "adjusted by the
  reader" (the rule: anatomy/ctr_source.py; the words: render/anatomy_overlay.ctr_statement, the report's
  and the SR's too); Shift+M restores them;
- the heart and lung outlines are their own image item above the heat map, with a
  toggle (O) and an opacity slider, independent of the attention map;
- the study browser gains a sortable CTR column.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItem
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QSlider, QWidget

from cardioview.anatomy.cardiothoracic_ratio import CTR_LIMIT
from cardioview.anatomy.ctr_source import ctr_source
from cardioview.gui.state import CardiothoracicMeasurement
from cardioview.gui.study_model import SORT_ROLE
from cardioview.render.anatomy_overlay import (
    OUTLINE_COLOURS,
    SEGMENTATION,
    automatic_calipers,
    ctr_statement,
    outline,
)

CTR_COLUMN = 2
#: Outlines of a not-applicable image shown on request (issue 18).
GREY_OUTLINE = (170, 170, 170)


def measurement_from(anatomy) -> CardiothoracicMeasurement | None:
    """The automatic calipers of an AnatomyResult, or None when it has no CTR."""
    calipers = automatic_calipers(anatomy)
    return None if calipers is None else CardiothoracicMeasurement(*calipers)


def outline_rgba(anatomy, thickness: int = 3, grey: bool = False) -> np.ndarray:
    """uint8 (H, W, 4) outlines at the image's size, transparent elsewhere (``grey``: meaningless here)."""
    h, w = anatomy.shape
    rgba = np.zeros((h, w, 4), np.uint8)
    for name, mask in (("lungs", anatomy.right_lung), ("lungs", anatomy.left_lung), ("heart", anatomy.heart)):
        edge = outline(mask, (h, w), thickness)
        rgba[edge, :3] = GREY_OUTLINE if grey else OUTLINE_COLOURS[name][0]
        rgba[edge, 3] = 255
    return rgba


class AnatomyView:
    """Attach to a MainWindow; see the module docstring."""

    def __init__(self, window):
        self.window = window
        self.state = window.state
        self.auto: dict[str, CardiothoracicMeasurement] = {}
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(5)  # above the heat map, below the calipers (10)
        window.canvas.viewbox.addItem(self.item)
        self.visible = True
        self.opacity = 0.8

        self.widget = QWidget()
        # The CTR line is the panel's own (ctr_label, rewritten here with automatic/adjusted), so the
        # panel only gains one compact row: the outline toggle and its opacity.
        self.label = window.panel.ctr_label
        self.toggle = QCheckBox("Outlines (O)")
        self.toggle.setChecked(True)
        self.toggle.toggled.connect(self.set_visible)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(int(self.opacity * 100))
        self.slider.setToolTip("Outline opacity")
        self.slider.valueChanged.connect(lambda v: self.set_opacity(v / 100))
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.slider, 1)
        window.panel.add_ctr_row(self.widget)
        self.shortcut = QShortcut(QKeySequence("O"), window)
        self.shortcut.setWhatsThis("Heart and lung outlines on/off")  # the F1 sheet's text
        self.shortcut.activated.connect(lambda: self.toggle.setChecked(not self.toggle.isChecked()))

        browser = window.browser
        browser.model.setHorizontalHeaderLabels(["Study / image", "P", "CTR"])
        browser.tree.setColumnWidth(CTR_COLUMN, 48)
        self.state.prediction_changed.connect(self._on_prediction)
        self.state.image_changed.connect(self.refresh)
        for event in (self.state.measurement_changed, self.state.threshold_changed, self.state.display_changed):
            event.connect(self._refresh_label)  # after the panel's own refresh of the same line
        self._drawn_shown: bool | None = None
        self.state.display_changed.connect(self._on_display_changed)
        # The CTR column shows the reading's CTR (the calipers in the view state), as panel, report and SR do.
        self.state.measurement_changed.connect(lambda: self.show_reading_ctr(self.state.current_key))
        self.refresh()

    # -- state ---------------------------------------------------------------------
    def anatomy(self, key: str | None = None):
        key = self.state.current_key if key is None else key
        prediction = self.state.predictions.get(key) if key else None
        return getattr(prediction, "anatomy", None)

    def _on_prediction(self, key: str) -> None:
        anatomy = self.anatomy(key)
        auto = measurement_from(anatomy)
        if auto is not None and self.state.predictions[key].applicable:  # issue 18: none on a not-applicable film
            self.auto[key] = auto
            self.state.offer_measurement(key, auto)  # the reader's own calipers stay
            self.show_reading_ctr(key)
        if key == self.state.current_key:
            self.refresh()

    def source(self) -> str | None:
        """ "automatic" while the calipers are the segmenter's, "adjusted" once one moved (anatomy.ctr_source,
        as report, SR and results.csv say), None without calipers or automatic ones."""
        m = self.state.measurement()
        if m is None or self.state.current_key not in self.auto:
            return None
        return ctr_source(m, self.anatomy())

    def reading_ctr(self, key: str) -> float | None:
        """The CTR the reading of ``key`` reports: its calipers' ratio, else the automatic CTR
        (calipers removed: the report then gives the automatic value too)."""
        m = self.state.measurements.get(key)
        if m is not None and m.ratio is not None:
            return m.ratio
        anatomy = self.anatomy(key)
        return anatomy.ctr if anatomy is not None else None

    def restore_automatic(self) -> bool:
        """Put the segmenter's calipers back on the current image (after M removed them or a drag moved
        them); False when this image has none."""
        auto = self.auto.get(self.state.current_key or "")
        if auto is None:
            return False
        self.state.set_measurement(auto)
        return True

    # -- display -------------------------------------------------------------------
    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self.refresh()

    def set_opacity(self, opacity: float) -> None:
        self.opacity = float(min(1.0, max(0.0, opacity)))
        self.item.setOpacity(self.opacity)

    def _on_display_changed(self) -> None:
        if self.state.model_output_shown() != self._drawn_shown:  # "Show model output anyway" was pressed
            self.refresh()

    def refresh(self) -> None:
        anatomy, shown = self.anatomy(), self.state.model_output_shown()
        self._drawn_shown = shown
        if anatomy is None or not self.visible or not shown:
            self.item.setVisible(False)
        else:
            prediction = self.state.predictions[self.state.current_key]
            self.item.setImage(outline_rgba(anatomy, grey=not prediction.applicable), autoLevels=False, levels=(0, 255))
            self.item.setOpacity(self.opacity)
            self.item.setVisible(True)
        self.widget.setVisible(anatomy is not None and shown)
        self._refresh_label()

    def _refresh_label(self) -> None:
        anatomy = self.anatomy()
        if anatomy is None:
            return  # the panel's own caliper text stays
        prediction = self.state.predictions[self.state.current_key]
        if not prediction.applicable:  # issue 18: no automatic CTR where the model does not apply
            shown = self.state.model_output_shown()
            self.label.setText(
                f"Automatic CTR {anatomy.ctr:.2f}: meaningless here (not applicable)"
                if shown and anatomy.ctr is not None
                else "No automatic CTR: not applicable"
            )
            return
        m, src = self.state.measurement(), self.source()
        if anatomy.ctr is None:
            if m is not None:
                return  # the reader's own calipers: the panel's caliper text stays
            text = f"No automatic CTR: {anatomy.reason}"
        elif m is None:
            text = f"Automatic CTR {anatomy.ctr:.2f} {SEGMENTATION} (calipers removed; Shift+M puts them back)"
        elif m.ratio is None:
            text = (
                f"Drag the heart and thorax lines into place (automatic CTR {anatomy.ctr:.2f}; "
                "Shift+M puts its calipers back)"
            )
        else:
            text = ctr_statement(src, m.ratio, anatomy.ctr)
            text += f" — above {CTR_LIMIT:.2f}" if m.ratio > CTR_LIMIT else ""
        if anatomy.warnings:
            text += "\n" + "\n".join(anatomy.warnings)
        self.label.setText(text)

    # -- triage list -----------------------------------------------------------------
    def show_reading_ctr(self, key: str | None) -> None:
        """Write ``key``'s reading CTR (see :meth:`reading_ctr`) in its row of the CTR column."""
        if key is not None and key in self.auto:
            ctr = self.reading_ctr(key)
            if ctr is not None:
                self.set_ctr_cell(key, ctr)

    def set_ctr_cell(self, key: str, ctr: float) -> None:
        """The CTR column of ``key``'s row; parents carry the highest CTR below them (sortable like P)."""
        browser = self.window.browser
        item = browser.model.items.get(key)
        if item is None:
            return
        self._write_cell(item, ctr)
        parent = item.parent()
        while parent is not None:  # recomputed: an adjusted CTR may also lower a study's highest value
            values = [
                v for v in (self._cell_value(parent.child(r, 0)) for r in range(parent.rowCount())) if v is not None
            ]
            if values:
                self._write_cell(parent, max(values))
            parent = parent.parent()

    def _cell(self, item: QStandardItem, create: bool = False) -> QStandardItem | None:
        parent = item.parent() or self.window.browser.model.invisibleRootItem()
        cell = parent.child(item.row(), CTR_COLUMN)
        if cell is None and create:
            cell = QStandardItem("")
            cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            parent.setChild(item.row(), CTR_COLUMN, cell)
        return cell

    def _cell_value(self, item: QStandardItem | None) -> float | None:
        cell = self._cell(item) if item is not None else None
        return None if cell is None else cell.data(SORT_ROLE)

    def _write_cell(self, item: QStandardItem, ctr: float) -> None:
        cell = self._cell(item, create=True)
        cell.setText(f"{ctr:.2f}")
        cell.setData(float(ctr), SORT_ROLE)

    def ctr_text(self, key: str) -> str:
        browser = self.window.browser
        item = browser.model.items.get(key)
        if item is None:
            return ""
        cell = (item.parent() or browser.model.invisibleRootItem()).child(item.row(), CTR_COLUMN)
        return "" if cell is None else cell.text()

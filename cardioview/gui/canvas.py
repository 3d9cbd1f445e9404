"""The X-ray canvas: X-ray and heat map as two image items in one pyqtgraph view.

Window/level acts on the X-ray item only and the heat map's opacity on its own
item, so the two never interfere. Left-drag pans, the wheel zooms, right-drag
sets window/level (the view's context menu is off for that reason).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cardioview.gui.calipers import CaliperOverlay
from cardioview.gui.display_window import DisplayWindow, display_array, display_inverted, dragged, window_presets
from cardioview.gui.state import ViewState
from cardioview.imaging.xray import XRay
from cardioview.render.colormaps import colormap_lut
from cardioview.render.model_output import MEANINGLESS_NOTE
from cardioview.render.overlay import ScaledAttention, attention_heat, heat_alpha

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

#: The heat layer is computed at most at this long side and drawn stretched
#: (smoothly) over the image: the attention map is a smooth upsampling of a 7x7
#: grid, so more pixels add GUI-thread time and memory, not detail.
HEAT_MAX_SIDE = 256
_GRAY = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
_GRAY_INVERTED = _GRAY[::-1].copy()


EMPTY_HINT = (
    "<div style='font-size:15pt'>Drop a chest X-ray or a folder here</div>"
    "<div style='margin-top:6px'>DICOM, PNG, JPEG or TIFF &nbsp;·&nbsp; or File ▸ Open (Ctrl+O)</div>"
)


#: Zoom per wheel notch (pyqtgraph's default, 1.35x, jumps past the view one wants).
WHEEL_STEP = 1.12
#: Smallest and largest zoom (screen pixels per image pixel): 5 % to 3,200 %.
ZOOM_LIMITS = (0.05, 32.0)


class _XRayViewBox(pg.ViewBox):
    """A view box whose right-drag reports window/level deltas instead of zooming."""

    def __init__(self, on_window_drag):
        super().__init__(lockAspect=True, invertY=True, enableMenu=False, defaultPadding=0.01)
        self._on_window_drag = on_window_drag

    def wheelEvent(self, ev, axis=None):
        """Zoom by WHEEL_STEP per notch around the mouse, within ZOOM_LIMITS (screen px per image px)."""
        rect = self.viewRect()
        if rect.width() <= 0 or self.width() <= 0:
            return
        ev.accept()
        zoom = self.width() / rect.width()
        target = min(max(zoom * WHEEL_STEP ** (ev.delta() / 120.0), ZOOM_LIMITS[0]), ZOOM_LIMITS[1])
        if abs(target - zoom) < 1e-9:
            return
        s = zoom / target
        self.scaleBy((s, s), center=self.mapToView(ev.pos()))
        self.sigRangeChangedManually.emit(self.state["mouseEnabled"])

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            self._on_window_drag(float(delta.x()), float(delta.y()), ev.isStart())
            return
        super().mouseDragEvent(ev, axis)


def _corner_label(parent: QWidget, name: str, align: Qt.AlignmentFlag) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAlignment(align)
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(name in ("warningText", "emptyHint"))  # a long load error wraps inside the view
    return label


class XRayCanvas(QWidget):
    """Shows ``state.current_xray`` with the heat map of its prediction.

    Signals:
        window_changed(str): the window/level read-out text.
    """

    window_changed = Signal(str)

    def __init__(self, state: ViewState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.view = pg.GraphicsView(background="#0b0d10")
        self.view.setObjectName("xrayView")
        self.view.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.viewbox = _XRayViewBox(self._window_drag)
        self.view.setCentralItem(self.viewbox)
        self.xray_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item.setZValue(1)
        self.viewbox.addItem(self.xray_item)
        self.viewbox.addItem(self.heat_item)
        self.calipers = CaliperOverlay(self.viewbox, state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

        top, bottom = Qt.AlignmentFlag.AlignTop, Qt.AlignmentFlag.AlignBottom
        left, right = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight
        self.top_left = _corner_label(self.view, "cornerText", top | left)
        self.top_right = _corner_label(self.view, "cornerText", top | right)
        self.bottom_left = _corner_label(self.view, "cornerText", bottom | left)
        self.bottom_right = _corner_label(self.view, "cornerText", bottom | right)
        self.warning_label = _corner_label(self.view, "warningText", top | left)
        self.empty_label = _corner_label(self.view, "emptyHint", Qt.AlignmentFlag.AlignCenter)
        self.show_message(EMPTY_HINT)
        self.view.installEventFilter(self)

        self.grey_window: DisplayWindow | None = None
        self.presets: list[DisplayWindow] = []
        self.user_invert = False
        self._span = 1.0
        self._heat_cache: dict[tuple[str, str], ScaledAttention] = {}
        state.image_changed.connect(self._on_image_changed)
        state.prediction_changed.connect(self._on_prediction)
        state.display_changed.connect(self._refresh_heat)
        self.viewbox.sigRangeChanged.connect(lambda *_: self._update_readout())
        self._place_labels()
        self._on_image_changed()

    # -- image ----------------------------------------------------------------
    def show_message(self, html: str) -> None:
        """Text in the middle of the empty view (hint, loading, load error)."""
        self.empty_label.setText(html)

    def _on_image_changed(self) -> None:
        xray = self.state.current_xray
        self._heat_cache.clear()
        self.empty_label.setVisible(xray is None)
        if self.state.current_key is None:
            self.show_message(EMPTY_HINT)
        if xray is None:
            self.xray_item.clear()
            self.heat_item.clear()
            for label in (self.top_left, self.top_right, self.bottom_left, self.bottom_right, self.warning_label):
                label.clear()
                label.hide()
            return
        values = display_array(xray)
        self.presets = window_presets(xray)
        self.grey_window = self.presets[0]
        self._span = max(float(values.max() - values.min()), 1e-6)
        self.xray_item.setImage(values, autoLevels=False, levels=self.grey_window.levels)
        self.xray_item.setRect(QRectF(0, 0, xray.shape[1], xray.shape[0]))
        self._apply_lut()
        self._set_corner_texts(xray)
        self._refresh_heat()
        self.fit()

    def _set_corner_texts(self, xray: XRay) -> None:
        md = xray.metadata
        patient = md.patient_name.replace("^", " ").strip() or xray.name
        line2 = " · ".join(p for p in (md.patient_id, md.patient_sex, md.patient_age) if p)
        self.top_left.setText(f"<b>{_esc(patient)}</b>" + (f"<br>{_esc(line2)}" if line2 else ""))
        date = md.study_date
        if len(date) == 8 and date.isdigit():
            date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
        study = " · ".join(p for p in (date, md.study_description) if p)
        series = " · ".join(p for p in (md.modality, md.body_part, md.view_position, md.series_description) if p)
        self.top_right.setText("<br>".join(_esc(p) for p in (study, series) if p))
        self._refresh_warnings()
        self._update_readout()
        self._place_labels()

    def _refresh_warnings(self) -> None:
        """The image's warnings, and the note that revealed model output means nothing here (issue 18)."""
        xray = self.state.current_xray
        notes = list(xray.warnings) if xray is not None else []
        if self.showing_meaningless_output():
            notes.append(MEANINGLESS_NOTE)
        self.warning_label.setText("<br>".join(f"⚠ {_esc(w)}" for w in notes))
        self._place_labels()

    def showing_meaningless_output(self) -> bool:
        """A not-applicable image whose model output the user asked to see (drawn greyed)."""
        prediction = self.state.prediction()
        return prediction is not None and not prediction.applicable and self.state.model_output_shown()

    # -- window / level -----------------------------------------------------
    def set_window(self, window: DisplayWindow) -> None:
        self.grey_window = window
        self.xray_item.setLevels(window.levels)
        self._update_readout()

    def set_invert(self, invert: bool) -> None:
        self.user_invert = bool(invert)
        self._apply_lut()

    def _apply_lut(self) -> None:
        xray = self.state.current_xray
        inverted = xray is not None and display_inverted(xray, self.user_invert)
        self.xray_item.setLookupTable(_GRAY_INVERTED if inverted else _GRAY)

    def _window_drag(self, dx: float, dy: float, start: bool) -> None:
        if self.grey_window is None:
            return
        self.set_window(dragged(self.grey_window, dx, dy, self._span))

    def _update_readout(self) -> None:
        xray = self.state.current_xray
        if xray is None or self.grey_window is None:
            return
        center, width = self.grey_window.center, self.grey_window.width
        if xray.modality_pixels is None:  # raster windows are in [0, 1]; show them in the file's 8-bit units
            center, width = center * 255, width * 255
        zoom = self.zoom_factor()
        self.bottom_left.setText(f"W {width:.0f} &nbsp;L {center:.0f}" + (f" &nbsp;·&nbsp; {zoom:.0%}" if zoom else ""))
        h, w = xray.shape
        spacing = f" · {xray.pixel_spacing[1]:.3f} mm/px" if xray.pixel_spacing else ""
        frame = f"<b>Frame {xray.frame + 1} / {xray.frames}</b> · " if xray.frames > 1 else ""  # issue 18
        self.bottom_right.setText(f"{frame}{w} × {h} px{spacing}")
        for label in (self.bottom_left, self.bottom_right):
            label.adjustSize()
        self._place_labels()
        self.window_changed.emit(f"W {width:.0f} L {center:.0f}")

    # -- zoom -----------------------------------------------------------------
    def fit(self) -> None:
        self.viewbox.autoRange(items=[self.xray_item], padding=0.01)

    def reset_view(self) -> None:
        """Fit the image, its default window/level, no user inversion."""
        if self.presets:
            self.set_window(self.presets[0])
        self.set_invert(False)
        self.fit()

    def actual_size(self) -> None:
        """One image pixel per screen pixel, around the current centre."""
        rect = self.viewbox.viewRect()
        width, height = self.viewbox.width(), self.viewbox.height()
        if width <= 0 or height <= 0:
            return
        center = rect.center()
        self.viewbox.setRange(
            xRange=(center.x() - width / 2, center.x() + width / 2),
            yRange=(center.y() - height / 2, center.y() + height / 2),
            padding=0,
        )

    def zoom_factor(self) -> float | None:
        rect = self.viewbox.viewRect()
        if rect.width() <= 0 or self.viewbox.width() <= 0:
            return None
        return self.viewbox.width() / rect.width()

    # -- heat map ---------------------------------------------------------------
    def _on_prediction(self, key: str) -> None:
        if key == self.state.current_key:
            self._refresh_heat()

    def heat_for_current(self) -> ScaledAttention | None:
        """The current image's attention at display resolution (cached per scale)."""
        xray, prediction = self.state.current_xray, self.state.prediction()
        if xray is None or prediction is None:
            return None
        cache_key = (self.state.current_key, self.state.scale.value)
        if cache_key not in self._heat_cache:
            h, w = xray.shape
            factor = min(1.0, HEAT_MAX_SIDE / max(h, w))
            shape = (max(1, round(h * factor)), max(1, round(w * factor)))
            self._heat_cache[cache_key] = attention_heat(prediction.attention, shape, self.state.scale)
        return self._heat_cache[cache_key]

    def _refresh_heat(self) -> None:
        heat = self.heat_for_current()
        xray = self.state.current_xray
        if xray is not None:
            self._refresh_warnings()
        if heat is None or xray is None or not self.state.model_output_shown():
            self.heat_item.clear()  # nothing drawn on a not-applicable image unless asked for (issue 18)
            self.heat_item.setVisible(False)
            return
        index = np.rint(heat.heat * 255.0).astype(np.uint8)
        rgba = np.empty(index.shape + (4,), dtype=np.uint8)
        rgba[..., :3] = (_GRAY if self.showing_meaningless_output() else colormap_lut(self.state.colormap))[index]
        rgba[..., 3] = np.rint(heat_alpha(heat.heat) * 255.0).astype(np.uint8)  # low W stays transparent
        self.heat_item.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.heat_item.setRect(QRectF(0, 0, xray.shape[1], xray.shape[0]))
        self.heat_item.setOpacity(self.state.opacity)
        self.heat_item.setVisible(self.state.heatmap_visible)

    # -- layout -------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.view and event.type() == QEvent.Type.Resize:
            self._place_labels()
        return super().eventFilter(obj, event)

    def _place_labels(self) -> None:
        """Pin each corner text to its corner, sized to its content (so its backdrop hugs the text)."""
        w, h = self.view.width(), self.view.height()
        margin, max_w = 10, max(120, w // 2 - 20)
        for label in (self.top_left, self.top_right, self.bottom_left, self.bottom_right):
            label.setMaximumWidth(max_w)
            label.adjustSize()
            label.setVisible(bool(label.text()))
        # Wrapped text: fix the width (adjustSize alone would wrap it into a narrow column).
        self.warning_label.setFixedWidth(max(200, min(int(w * 0.6), 640)))
        height = self.warning_label.heightForWidth(self.warning_label.width())
        self.warning_label.setFixedHeight(height if height > 0 else self.warning_label.sizeHint().height())
        self.warning_label.setVisible(bool(self.warning_label.text()))
        self.top_left.move(margin, margin)
        self.top_right.move(w - margin - self.top_right.width(), margin)
        self.bottom_left.move(margin, h - margin - self.bottom_left.height())
        self.bottom_right.move(w - margin - self.bottom_right.width(), h - margin - self.bottom_right.height())
        top = margin + max(self.top_left.height(), self.top_right.height()) + 8
        self.warning_label.move((w - self.warning_label.width()) // 2, top)
        self.empty_label.setGeometry(0, 0, w, h)

    def grab_rgb(self) -> np.ndarray:
        """The view as drawn, (H, W, 3) uint8 (for tests and screenshots)."""
        image = self.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        ptr = image.constBits()
        arr = np.frombuffer(ptr, dtype=np.uint8, count=image.sizeInBytes())
        return (
            arr.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
            .reshape(image.height(), image.width(), 3)
            .copy()
        )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

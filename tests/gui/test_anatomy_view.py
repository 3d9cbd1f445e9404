"""The real main window with the shipped segmenter: automatic calipers, automatic/adjusted, outlines, CTR column."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from tests.gui.conftest import REPO_ROOT, nih_png

ANATOMY = REPO_ROOT / "weights" / "cxr_anatomy"


@pytest.fixture
def anatomy_window(qtbot, tiny_bundle):
    if not (ANATOMY / "manifest.json").is_file():
        pytest.skip("weights/cxr_anatomy is not in this checkout")
    from cardioview.inference.predictor import Predictor
    from tests.gui.conftest import shown_window

    yield from shown_window(qtbot, Predictor(tiny_bundle, backend="onnx", device="cpu", anatomy=ANATOMY))


def test_automatic_calipers_outlines_and_ctr_column(qtbot, anatomy_window):
    win = anatomy_window
    path = nih_png("00000001_000.png")
    win.open_files([path])
    qtbot.waitUntil(lambda: win.state.prediction() is not None, timeout=60000)
    qtbot.wait(50)
    view = win.anatomy_view
    anatomy = win.state.prediction().anatomy
    assert anatomy is not None and anatomy.ctr is not None
    measurement = win.state.measurement()
    assert measurement is not None and measurement.ratio == pytest.approx(anatomy.ctr)
    assert view.label.text().startswith(f"CTR {anatomy.ctr:.2f} (automatic, from heart and lung segmentation)")
    key = win.state.current_key
    assert view.ctr_text(key) == f"{anatomy.ctr:.2f}"
    # outlines drawn in their own item, at the image's size, independent of the heat map
    assert view.item.isVisible() and view.item.image.shape[:2] == anatomy.shape
    win.state.set_heatmap_visible(False)
    assert view.item.isVisible()
    view.toggle.setChecked(False)
    assert not view.item.isVisible()
    view.toggle.setChecked(True)
    view.slider.setValue(30)
    assert view.item.opacity() == pytest.approx(0.3)

    # drag the cardiac line's right end: the CTR becomes "adjusted"
    roi = win.canvas.calipers._rois["heart"]
    handle = roi.getHandles()[1]
    roi.movePoint(handle, roi.mapToParent(handle.pos()) + QPointF(40, 0), finish=False, coords="parent")
    assert win.state.measurement().ratio > anatomy.ctr
    assert f"(calipers adjusted by the reader; automatic {anatomy.ctr:.2f}" in view.label.text()
    view.slider.setValue(100)
    qtbot.wait(50)
    grab = win.canvas.grab_rgb()
    red = ((grab[..., 0] > 200) & (grab[..., 1] < 120) & (grab[..., 2] < 120)).sum()
    assert red > 100  # the heart outline is on screen

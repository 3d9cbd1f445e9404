"""The Qt-free view model, settings and the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cardioview.anatomy.cardiothoracic_ratio import Caliper
from cardioview.gui.audit import AuditLog, image_reference
from cardioview.gui.display_window import DisplayWindow, display_inverted, dragged, window_presets
from cardioview.gui.state import CardiothoracicMeasurement, ViewState
from cardioview.gui.study_model import ThumbnailCache
from cardioview.imaging.loader import load
from tests.gui.conftest import dicom_file, nih_png


def test_view_state_emits_only_on_change_and_clamps():
    state = ViewState()
    seen = []
    state.display_changed.connect(lambda: seen.append("display"))
    state.threshold_changed.connect(lambda: seen.append("threshold"))
    state.set_opacity(0.2)  # the default: no change
    state.set_opacity(1.7)
    state.set_threshold(-1)
    assert (state.opacity, state.threshold) == (1.0, 0.0)
    assert seen == ["display", "threshold"]
    with pytest.raises(ValueError):
        state.set_colormap("rainbow")


def test_prediction_is_judged_at_the_current_threshold(real_predictor):
    xray = load(nih_png())
    state = ViewState()
    state.set_current("k", xray)
    state.add_prediction("k", real_predictor.predict(xray))
    p = state.prediction().probability
    state.set_threshold(p + 0.05)
    assert not state.prediction().positive
    state.set_threshold(p - 0.05)
    assert state.prediction().positive


def test_ctr_measurement():
    m = CardiothoracicMeasurement(Caliper(300, 620, 600), Caliper(100, 900, 550))
    assert m.ratio == pytest.approx(0.4) and not m.enlarged
    assert m.to_ctr().ratio == pytest.approx(0.4)
    wide = CardiothoracicMeasurement(Caliper(250, 700, 600), Caliper(100, 900, 550))
    assert wide.enlarged
    assert CardiothoracicMeasurement(Caliper(1, 2, 3), Caliper(5, 5, 3)).to_ctr() is None


def test_offered_calipers_never_replace_the_readers_own():
    xray = load(nih_png())
    state = ViewState()
    seen = []
    state.measurement_changed.connect(lambda: seen.append(state.current_key))
    state.set_current("a", xray)
    auto = CardiothoracicMeasurement(Caliper(300, 620, 600), Caliper(100, 900, 550))
    assert state.offer_measurement("b", auto)  # another image: stored, no redraw of the current one
    assert seen == [] and state.measurements["b"] == auto
    assert state.offer_measurement("a", auto) and seen == ["a"] and state.measurement() == auto
    own = CardiothoracicMeasurement(Caliper(310, 640, 610), Caliper(90, 910, 560))
    state.set_measurement(own)
    assert not state.offer_measurement("a", auto)  # a later segmenter result leaves the reader's calipers
    assert state.measurement() == own and seen == ["a", "a"]


def test_dicom_windows_come_from_the_file_and_monochrome1_is_inverted():
    xray = load(dicom_file("RG1_UNCR.dcm"))
    presets = window_presets(xray)
    assert (presets[0].center, presets[0].width) == (15000.0, 30000.0)
    assert xray.invert_display and display_inverted(xray, user_invert=False)
    assert not display_inverted(xray, user_invert=True)
    png = load(nih_png())
    assert window_presets(png)[0].levels == (0.0, 1.0)
    assert not display_inverted(png, user_invert=False)


def test_right_drag_maths():
    w = DisplayWindow(100.0, 200.0)
    assert dragged(w, 50, 0, span=1000).width == pytest.approx(300.0)
    assert dragged(w, 0, -50, span=1000).center == pytest.approx(0.0)
    assert dragged(w, -10_000, 0, span=1000).width > 0


def test_thumbnail_cache_is_bounded():
    cache = ThumbnailCache(capacity=3)
    for i in range(10):
        cache.put(str(i), np.zeros((4, 4)))
    cache.get("7")
    cache.put("10", 1)
    assert len(cache) == 3 and cache.get("7") is not None and cache.get("8") is None


def test_settings_persist_in_the_override_folder(qapp, isolated_user_dirs):
    from cardioview.gui.settings import AppSettings, config_dir

    assert config_dir() == isolated_user_dirs / "config"
    first = AppSettings()
    first.opacity = 0.35
    first.colormap = "viridis"
    first.add_recent("/data/a")
    first.add_recent("/data/b")
    first.add_recent("/data/a")
    first.sync()
    again = AppSettings()
    assert (again.opacity, again.colormap) == (0.35, "viridis")
    assert again.recent_paths == ["/data/a", "/data/b"]


def test_audit_log_names_images_without_patient_data(real_predictor, isolated_user_dirs):
    log = AuditLog()
    dicom = load(dicom_file("RG1_UNCR.dcm"))
    png = load(nih_png())
    log.record("analyse", dicom, real_predictor.predict(dicom))
    log.record("export", png, None, export_sha256="0" * 64)
    lines = log.path.read_text().splitlines()
    assert log.path.parent == isolated_user_dirs / "logs"
    first, second = (json.loads(line) for line in lines)
    assert first["sop_instance_uid"] == dicom.metadata.sop_instance_uid
    assert first["model"] == real_predictor.model_id and 0 <= first["probability"] <= 1 and "threshold" in first
    assert second["file_sha256"] == image_reference(png)["file_sha256"] and len(second["file_sha256"]) == 64
    assert dicom.metadata.patient_name not in "".join(lines)
    assert Path(png.source).name not in "".join(lines)

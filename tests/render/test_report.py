import json
import os
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pytest

from cardioview.anatomy.cardiothoracic_ratio import Caliper, CardiothoracicRatio
from cardioview.errors import ImageLoadError
from cardioview.render.patient_lines import DEIDENTIFIED
from cardioview.render.report import (
    PANEL_HEIGHT,
    build_report,
    read_report_metadata,
    render_report,
    unique_path,
    write_report,
)
from cardioview.render.report_content import NOT_FOR_DIAGNOSTIC_USE, report_lines, report_metadata
from cardioview.render.report_options import ReportOptions
from tests.render.conftest import CARDIOMEGALY_PNG, PATIENT, make_prediction

CREATED = datetime(2025, 3, 14, 9, 26, tzinfo=timezone(timedelta(hours=1)))
IDENTIFYING = (
    PATIENT.patient_id,
    PATIENT.sop_instance_uid,
    "M\u00dcLLER",
    "JOS\u00c9",
    "00000001_000",
    "20240131",
    "2024-01-31",
)


def texts(lines):
    return [line.text for line in lines]


@pytest.fixture(scope="module")
def report(xray):
    return build_report(xray, make_prediction(), ReportOptions(created=CREATED, app_version="9.9.9"))


@pytest.fixture(scope="module")
def deidentified_report(xray):
    return build_report(xray, make_prediction(), ReportOptions(created=CREATED, app_version="9.9.9", deidentify=True))


def test_report_is_an_rgb_picture_with_both_panels(report):
    height, width, channels = report.image.shape
    assert report.image.dtype == np.uint8 and channels == 3
    assert height > PANEL_HEIGHT + 400 and width > 2 * PANEL_HEIGHT


def test_report_states_probability_verdict_and_facts(report):
    lines = texts(report.lines)
    assert "P(cardiomegaly) = 0.873" in lines
    assert "POSITIVE for cardiomegaly at threshold 0.50" in lines
    assert "Name: M\u00dcLLER, JOS\u00c9" in lines and "Patient ID: NIH-PID-0001" in lines
    assert "Sex / age: M / 58 y" in lines and "Study: 2024-01-31 \u00b7 CHEST PA" in lines
    assert any("cxa_dense121@1a2b3c4d" in line for line in lines)
    assert any("onnxruntime on CPU" in line for line in lines)
    assert any("0.0010\u20130.0800" in line for line in lines)  # relative scale names W's real range
    assert "\u26a0 PNG file: no DICOM header" in lines
    assert any("9.9.9" in line for line in lines) and any("2025-03-14 09:26 +0100" in line for line in lines)


def test_negative_verdict_and_uncommon_threshold(xray):
    lines = texts(report_lines(xray, make_prediction(0.21, threshold=0.437)))
    assert "P(cardiomegaly) = 0.210" in lines
    assert "NEGATIVE for cardiomegaly at threshold 0.437" in lines


@pytest.mark.parametrize("intended_use, warned", [("research", True), ("demo", True), ("clinical", False)])
def test_not_for_diagnostic_use_unless_clinical(xray, intended_use, warned):
    prediction = make_prediction(intended_use=intended_use)
    options = ReportOptions(created=CREATED)
    assert (NOT_FOR_DIAGNOSTIC_USE in texts(report_lines(xray, prediction, options))) == warned
    assert build_report(xray, prediction, options).metadata["not_for_diagnostic_use"] == warned


def test_deidentified_report_carries_no_patient_fields(report, deidentified_report):
    lines = texts(deidentified_report.lines)
    assert DEIDENTIFIED in lines
    dumped = json.dumps(deidentified_report.metadata, ensure_ascii=False)
    for secret in IDENTIFYING:
        assert secret not in dumped
        assert not any(secret in line for line in lines)
    assert deidentified_report.metadata["deidentified"] is True
    assert deidentified_report.metadata["image"]["file"] is None
    # The identified report does say them, and the two pictures differ.
    assert PATIENT.patient_id in json.dumps(report.metadata)
    assert report.image.shape != deidentified_report.image.shape or not np.array_equal(
        report.image, deidentified_report.image
    )


def test_rendering_is_deterministic_and_render_report_matches(xray, report):
    image = render_report(xray, make_prediction(), created=CREATED, app_version="9.9.9")
    assert np.array_equal(image, report.image)


def test_keyword_settings_equal_options(xray, report):
    settings = dict(created=CREATED, app_version="9.9.9", opacity=0.35, deidentify=True)
    options = ReportOptions(**settings)
    assert report_metadata(xray, make_prediction(), **settings) == report_metadata(xray, make_prediction(), options)
    assert report_metadata(xray, make_prediction(), **settings)["display"]["opacity"] == 0.35
    with pytest.raises(TypeError):
        report_lines(xray, make_prediction(), options, deidentify=False)


def test_opacity_and_colormap_change_the_picture(xray, report):
    other = render_report(xray, make_prediction(), created=CREATED, app_version="9.9.9", opacity=0.6, colormap="jet")
    assert other.shape == report.image.shape and not np.array_equal(other, report.image)


def test_ctr_line_flags_above_half_and_calipers_are_drawn(xray, report):
    ctr = CardiothoracicRatio.from_calipers(Caliper(330, 760, 640), Caliper(150, 900, 560))
    assert ctr.ratio == pytest.approx(430 / 750)
    measured = build_report(xray, make_prediction(), ReportOptions(created=CREATED, app_version="9.9.9", ctr=ctr))
    lines = texts(measured.lines)
    assert "Cardiothoracic ratio 0.57 > 0.50: enlarged cardiac silhouette" in lines
    assert measured.metadata["ctr"]["enlarged"] is True and measured.metadata["ctr"]["heart"]["x1"] == 760
    bare = report_lines(xray, make_prediction(), ReportOptions(ctr=0.45))
    assert "Cardiothoracic ratio 0.45 \u2264 0.50: within the usual limit" in texts(bare)
    # Above the text (which gains the CTR lines) the pictures differ only by the calipers on the left panel.
    rows, cols = np.nonzero(np.any(measured.image[:PANEL_HEIGHT] != report.image[:PANEL_HEIGHT], axis=2))
    assert rows.size > 0
    assert cols.max() < report.image.shape[1] // 2
    assert 60 <= rows.max() - rows.min() <= 120  # the two calipers, 80 px apart, with their end ticks


def test_ctr_must_be_positive():
    with pytest.raises(ValueError):
        CardiothoracicRatio(0.0)
    with pytest.raises(ValueError):
        CardiothoracicRatio.from_calipers(Caliper(0, 10, 0), Caliper(5, 5, 0))


def test_constant_attention_is_reported_as_such(xray):
    prediction = make_prediction(attention=np.full((7, 7), 0.3, np.float32))
    lines = texts(report_lines(xray, prediction))
    assert any("W is constant (0.300)" in line for line in lines)


def test_written_png_embeds_readable_metadata(tmp_path, report):
    path = write_report(tmp_path / "report.png", report.image, report.metadata)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.png"]  # no temp file left
    decoded = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert decoded.shape == report.image.shape
    assert np.array_equal(decoded[:, :, ::-1], report.image)
    metadata = read_report_metadata(path)
    assert metadata["prediction"]["probability"] == pytest.approx(0.873)
    assert metadata["prediction"]["threshold"] == 0.5
    assert metadata["prediction"]["model"] == "cxa_dense121@1a2b3c4d"
    assert metadata["app_version"] == "9.9.9" and metadata["created"] == "2025-03-14T09:26:00+01:00"
    assert metadata["study"]["patient_name"] == "M\u00dcLLER^JOS\u00c9"  # UTF-8 survives
    assert metadata["lines"] == texts(report.lines)


def test_never_overwrites_and_unique_path_counts_up(tmp_path, report):
    first = write_report(unique_path(tmp_path, "study"), report.image, report.metadata)
    assert first.name == "study.png"
    before = first.read_bytes()
    with pytest.raises(FileExistsError):
        write_report(first, report.image[:10], {"other": True})
    assert first.read_bytes() == before
    second = write_report(unique_path(tmp_path, "study"), report.image, report.metadata)
    assert second.name == "study_1.png"
    assert unique_path(tmp_path, "study").name == "study_2.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.png", "study_1.png"]


def test_a_file_appearing_during_the_write_is_not_replaced(tmp_path, report, monkeypatch):
    target = tmp_path / "race.png"

    def competitor_wins(src, dst):
        target.write_bytes(b"someone else's file")
        raise FileExistsError(dst)

    monkeypatch.setattr(os, "link", competitor_wins)
    with pytest.raises(FileExistsError):
        write_report(target, report.image, report.metadata)
    assert target.read_bytes() == b"someone else's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.png"]


def test_file_systems_without_hard_links_still_get_the_report(tmp_path, report, monkeypatch):
    def no_links(src, dst):
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    path = write_report(tmp_path / "fat32.png", report.image, report.metadata)
    assert read_report_metadata(path)["prediction"]["probability"] == pytest.approx(0.873)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fat32.png"]


def test_unique_path_refuses_a_path_as_stem(tmp_path):
    with pytest.raises(ValueError):
        unique_path(tmp_path, "../escape")


def test_write_refuses_a_non_rgb_image(tmp_path):
    with pytest.raises(ValueError):
        write_report(tmp_path / "x.png", np.zeros((4, 4), np.uint8), {})
    assert not any(tmp_path.iterdir())


def test_reading_metadata_from_a_plain_png_or_garbage_fails_clearly(tmp_path, xray):
    with pytest.raises(ImageLoadError, match="no CardioView report metadata"):
        read_report_metadata(CARDIOMEGALY_PNG)
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not a png")
    with pytest.raises(ImageLoadError, match="garbage.png"):
        read_report_metadata(garbage)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_report_gets_the_permissions_of_an_ordinary_new_file(tmp_path, report):
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    path = write_report(tmp_path / "shared.png", report.image, report.metadata)
    assert path.stat().st_mode & 0o777 == ordinary.stat().st_mode & 0o777


def test_report_prints_a_changed_threshold_beside_the_default_and_the_display_used():
    from pydicom.data import get_testdata_file

    from cardioview.anatomy.cardiothoracic_ratio import Caliper, CardiothoracicRatio
    from cardioview.imaging import load
    from cardioview.model.prediction import Prediction
    from cardioview.render.report_content import report_lines
    from cardioview.render.report_options import ReportOptions

    xray = load(get_testdata_file("RG1_UNCR.dcm"))
    prediction = Prediction(
        probability=0.7,
        attention=np.full((7, 7), 0.5, np.float32),
        threshold=0.6,
        model_id="m@1",
        backend="onnxruntime",
        device="CPU",
        elapsed_ms=1.0,
        input_size=(224, 224),
    )
    ctr = CardiothoracicRatio.from_calipers(Caliper(600, 1100, 1200), Caliper(200, 1600, 1100))
    options = ReportOptions(default_threshold=0.463, window="window W 1200 / L 600", invert=True, ctr=ctr)
    texts = [line.text for line in report_lines(xray, prediction, options)]
    assert "POSITIVE for cardiomegaly at threshold 0.600 (model default 0.463)" in texts
    assert "Display: window W 1200 / L 600, grey scale inverted" in texts
    assert xray.pixel_spacing is None  # RG1 states no spacing: lengths in pixels
    assert "Calipers on the X-ray: heart 500 px in blue, thorax 1400 px in yellow" in texts, texts
    spaced = type(xray)(**{**xray.__dict__, "pixel_spacing": (0.2, 0.25)})
    texts_mm = [line.text for line in report_lines(spaced, prediction, options)]
    assert "Calipers on the X-ray: heart 125 mm in blue, thorax 350 mm in yellow" in texts_mm
    at_default = ReportOptions(default_threshold=0.6, operating_point={"sensitivity": 0.8, "specificity": 0.7})
    texts = [line.text for line in report_lines(xray, prediction, at_default)]
    assert (
        "POSITIVE for cardiomegaly at threshold 0.600 (model default; validation sensitivity 0.80, specificity 0.70)"
    ) in texts

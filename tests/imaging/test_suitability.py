"""Suitability warnings from header facts and size."""

from __future__ import annotations

import pytest

from cardioview.imaging.suitability import AP_VIEW_WARNING, suitability_warnings
from cardioview.imaging.xray import XRayMetadata

FRONTAL_CHEST = XRayMetadata(modality="DX", body_part="CHEST", view_position="PA")


def test_frontal_chest_radiograph_has_no_warning():
    assert suitability_warnings(FRONTAL_CHEST, (2048, 2500)) == ()


def test_unknown_fields_raise_no_warning():
    assert suitability_warnings(XRayMetadata(), (1024, 1024)) == ()


@pytest.mark.parametrize("modality", ["CR", "DX", "DR", "RG", "cr"])
def test_radiograph_modalities_pass(modality):
    assert suitability_warnings(XRayMetadata(modality=modality), (512, 512)) == ()


@pytest.mark.parametrize("modality", ["MR", "CT", "US", "OT", "MG"])
def test_other_modalities_warn(modality):
    (warning,) = suitability_warnings(XRayMetadata(modality=modality), (512, 512))
    assert f"modality {modality}" in warning


def test_body_part_other_than_chest_warns_and_thorax_passes():
    (warning,) = suitability_warnings(XRayMetadata(body_part="KNEE"), (512, 512))
    assert "body part KNEE" in warning
    assert suitability_warnings(XRayMetadata(body_part="THORAX"), (512, 512)) == ()


@pytest.mark.parametrize("view", ["LL", "RL", "LATERAL", "lat"])
def test_lateral_views_warn(view):
    (warning,) = suitability_warnings(XRayMetadata(view_position=view), (512, 512))
    assert "lateral view" in warning


def test_ap_view_warns_that_it_magnifies_the_heart():
    assert suitability_warnings(XRayMetadata(view_position="AP"), (512, 512)) == (AP_VIEW_WARNING,)


def test_small_image_warns_on_its_shorter_side():
    (warning,) = suitability_warnings(XRayMetadata(), (127, 4000))
    assert "4000x127 px" in warning
    assert suitability_warnings(XRayMetadata(), (128, 128)) == ()


def test_warnings_accumulate_in_a_fixed_order():
    meta = XRayMetadata(modality="CT", body_part="HEAD", view_position="AP")
    warnings = suitability_warnings(meta, (64, 64))
    assert [w.split()[0] for w in warnings] == ["modality", "body", "AP", "image"]


# -- not applicable: no verdict -------------------------------------------------
from cardioview.imaging.suitability import not_applicable_reason  # noqa: E402


@pytest.mark.parametrize(
    "meta, shape, expected",
    [
        (XRayMetadata(modality="MR", body_part="HEAD"), (64, 64), "modality MR"),
        (XRayMetadata(modality="CT"), (512, 512), "modality CT"),
        (XRayMetadata(modality="US"), (480, 640), "modality US"),
        (XRayMetadata(modality="CR", body_part="EXTREMITY", view_position="AP"), (1760, 1760), "body part EXTREMITY"),
        (XRayMetadata(modality="DX", body_part="CHEST", view_position="LL"), (2000, 2000), "lateral view"),
        (XRayMetadata(modality="OT"), (512, 512), "secondary capture"),
        (XRayMetadata(), (100, 4000), "100 px"),
    ],
)
def test_images_the_model_cannot_read_are_not_applicable(meta, shape, expected):
    assert expected in not_applicable_reason(meta, shape)


@pytest.mark.parametrize(
    "meta",
    [
        FRONTAL_CHEST,
        XRayMetadata(),  # a PNG: no header facts, taken as a chest radiograph
        XRayMetadata(modality="CR", view_position="AP"),  # AP: a soft warning only
        XRayMetadata(modality="DX"),  # unknown body part on a radiograph: soft
        XRayMetadata(modality="OT", body_part="CHEST"),  # a digitised chest film
    ],
)
def test_soft_problems_keep_the_verdict(meta):
    assert not_applicable_reason(meta, (1024, 1024)) == ""


@pytest.mark.parametrize(
    "name, applies",
    [
        ("emri_small.dcm", False),
        ("CT_small.dcm", False),
        ("US1_UNCR.dcm", False),
        ("RG3_UNCR.dcm", False),
        ("RG1_UNCR.dcm", True),
    ],
)
def test_real_dicoms(name, applies):
    from pydicom.data import get_testdata_file

    from cardioview.imaging import load
    from cardioview.imaging.suitability import xray_not_applicable_reason

    assert (xray_not_applicable_reason(load(get_testdata_file(name))) == "") is applies

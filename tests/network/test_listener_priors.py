"""The listener's reports and SRs carry the comparison with the prior study, as predict's do (issue 23)."""

from __future__ import annotations

import pydicom

from cardioview.network import dimse
from cardioview.network.listener import Listener, ListenerOptions
from cardioview.network.nodes import Node
from cardioview.render.report import read_report_metadata
from tests.comparison_films import cr_patient_studies
from tests.network.films import downsized_copy
from tests.network.test_listener import rows


def _concepts(ds) -> set[str]:
    """Every concept name in an SR's content tree."""
    names = set()
    for item in getattr(ds, "ContentSequence", []):
        if "ConceptNameCodeSequence" in item:
            names.add(item.ConceptNameCodeSequence[0].CodeMeaning)
        names |= _concepts(item)
    return names


def test_second_film_of_a_patient_is_compared_with_the_first(predictor, tmp_path):
    # one patient, two studies the same day (PA at 08:00, AP at 16:30): real RG1 films, a quarter size for speed
    studies = [
        downsized_copy(path, tmp_path / f"small_{path.name}", factor=4)
        for path in cr_patient_studies(tmp_path / "studies")
    ]
    out = tmp_path / "out"
    listener = Listener(predictor, out, ListenerOptions(port=0, host="127.0.0.1", reports=True))
    listener.start()
    try:
        node = Node(name="listener", ae_title="CARDIOVIEW", host="127.0.0.1", port=listener.port)
        assert dimse.store(node, [pydicom.dcmread(p) for p in studies]) == 2  # the earlier study first
        assert listener.wait_idle(2, timeout=120)
    finally:
        listener.stop()
    written = rows(out)
    assert [r["status"] for r in written] == ["ok", "ok"]

    reports = sorted((out / "reports").glob("*.png"))  # named by arrival number
    assert len(reports) == 2
    first, second = (read_report_metadata(p) for p in reports)
    assert first["comparison"] is None
    comparison = second["comparison"]
    assert comparison["prior_study_date"] == "2024-01-02" and comparison["prior_view"] == "PA"
    assert comparison["interval_days"] == 0
    assert "views differ (PA prior, AP now)" in comparison["caution"]
    assert "Comparison with prior" in second["lines"]
    assert any(line.startswith("Prior 2024-01-02 (PA):") for line in second["lines"]), second["lines"]

    first_sr, second_sr = (pydicom.dcmread(p) for p in sorted((out / "dicom").glob("*_sr.dcm")))
    assert second_sr.StudyInstanceUID == pydicom.dcmread(studies[1], stop_before_pixels=True).StudyInstanceUID
    names = _concepts(second_sr)
    assert "Interval since the prior study" in names and "Change in probability since the prior study" in names
    assert "Prior study of another view position (AP vs PA)" in names
    assert not any("prior" in name for name in _concepts(first_sr))

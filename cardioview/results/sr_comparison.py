"""The SR's optional comparison with the prior study (issue 23): measurements beside the current ones.

Prior CTR and P, their change and the interval since the prior study, plus a qualitative "views differ"
evaluation when an AP film is compared with a PA one (AP magnifies the heart). Codes in CardioView's private
scheme (dicom_objects.SCHEME), declared in the SR.
"""

from __future__ import annotations

import highdicom as hd
from pydicom.sr.codedict import codes

from cardioview.results.dicom_objects import NO_UNITS, SCHEME

PRIOR_CTR = hd.sr.CodedConcept("P-010", SCHEME, "Cardiothoracic ratio on the prior study")
CTR_CHANGE = hd.sr.CodedConcept("P-011", SCHEME, "Change in cardiothoracic ratio since the prior study")
PRIOR_PROBABILITY = hd.sr.CodedConcept("P-012", SCHEME, "Probability of cardiomegaly on the prior study")
PROBABILITY_CHANGE = hd.sr.CodedConcept("P-013", SCHEME, "Change in probability since the prior study")
INTERVAL = hd.sr.CodedConcept("P-014", SCHEME, "Interval since the prior study")
VIEWS_DIFFER = hd.sr.CodedConcept("P-015", SCHEME, "Prior study of another view position (AP vs PA)")
DAYS = hd.sr.CodedConcept("d", "UCUM", "day")


def comparison_measurements(change) -> list[hd.sr.Measurement]:
    """The numbers of a comparison.change.Change (those known); [] for None."""
    if change is None:
        return []
    from cardioview.render.comparison_section import interval_days

    values = [
        (PRIOR_CTR, change.prior.ctr, NO_UNITS),
        (CTR_CHANGE, change.ctr_change, NO_UNITS),
        (PRIOR_PROBABILITY, change.prior.probability, NO_UNITS),
        (PROBABILITY_CHANGE, change.probability_change, NO_UNITS),
        (INTERVAL, interval_days(change.prior.study_date, change.current.study_date), DAYS),
    ]
    return [
        hd.sr.Measurement(name=name, value=round(float(value), 4), unit=unit)
        for name, value, unit in values
        if value is not None
    ]


def comparison_evaluations(change) -> list[hd.sr.QualitativeEvaluation]:
    """'Views differ: yes' when the comparison mixes AP and PA; [] otherwise."""
    if change is None or not change.caution:
        return []
    return [hd.sr.QualitativeEvaluation(name=VIEWS_DIFFER, value=codes.SCT.Yes)]

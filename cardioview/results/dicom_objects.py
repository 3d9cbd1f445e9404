"""The results as DICOM: a Secondary Capture of the annotated report, a Structured Report and,
when the anatomy segmenter ran on a DICOM film, a Segmentation of the heart and lungs (dicom_seg).

Each goes in a new series of the source study (Patient and Study copied, the
source image referenced; series numbers: :func:`series_numbers`). A raster input,
or ``deidentify=True``, gets a new Patient/Study whose identifiers are "de-identified" placeholders
(never invented names), and no Segmentation.

These are the encoders; what a result writes and under which names is cardioview/results/writer.py's:
    >>> objects = build_results(xray, prediction)
    >>> ResultWriter().write_dicom(objects, out_dir, "chest")   # -> [chest_sc.dcm, chest_sr.dcm, chest_seg.dcm]
"""

from __future__ import annotations

import io
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from cardioview import __version__
from cardioview.anatomy.cardiothoracic_ratio import CardiothoracicRatio
from cardioview.anatomy.ctr_source import automatic_measurement, ctr_source
from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction

# highdicom's person-name advice quotes the name itself (patient data must not reach logs). Silenced here for
# the whole module, always: the catch_warnings blocks below also quiet other value advice while an object is
# built, but catch_warnings is not thread-safe (results are built in worker threads), so they alone could let a
# name through.
warnings.filterwarnings("ignore", message=".*unlikely to represent the intended person name.*")

MANUFACTURER = "CardioView"
PLACEHOLDER = "DEIDENTIFIED"
PLACEHOLDER_NAME = "DEIDENTIFIED^"  # a family-name-only PN, as PS3.5 6.2.1.2 asks
_series_lock = threading.Lock()
_last_series_base = 0
#: Private coding scheme for the concepts no public terminology names (declared in the SR).
SCHEME = "99CARDIOVIEW"
PROBABILITY = hd.sr.CodedConcept("P-001", SCHEME, "Probability of cardiomegaly")
THRESHOLD = hd.sr.CodedConcept("P-002", SCHEME, "Decision threshold")
CTR = hd.sr.CodedConcept("P-003", SCHEME, "Cardiothoracic ratio")
HEART_DIAMETER = hd.sr.CodedConcept("P-004", SCHEME, "Maximal transverse cardiac diameter")
THORAX_DIAMETER = hd.sr.CodedConcept("P-005", SCHEME, "Maximal internal thoracic diameter")
AUTOMATIC_CTR = hd.sr.CodedConcept("P-006", SCHEME, "Automatic cardiothoracic ratio")
#: How the reported CTR was measured (the measurement's method), the words of render.anatomy_overlay.ctr_statement.
CTR_METHODS = {
    "automatic": hd.sr.CodedConcept("P-007", SCHEME, "Automatic, from heart and lung segmentation"),
    "adjusted": hd.sr.CodedConcept("P-008", SCHEME, "Calipers adjusted by the reader"),
    "reader": hd.sr.CodedConcept("P-009", SCHEME, "Calipers placed by the reader"),
}
CARDIOMEGALY = hd.sr.CodedConcept("8186001", "SCT", "Cardiomegaly")
NO_UNITS = hd.sr.CodedConcept("1", "UCUM", "no units")
MILLIMETRE = hd.sr.CodedConcept("mm", "UCUM", "millimeter")
PIXELS = hd.sr.CodedConcept("{pixels}", "UCUM", "pixels")


def series_numbers() -> tuple[int, int, int]:
    """Series numbers for one result's SC, SR and SEG: a tenth-of-a-second clock, then the kind (1, 2, 3).

    E.g. 1234567891 / ...92 / ...93: they sort by creation time, differ from film to film (strictly
    increasing within a process), stay below 2**31 as Integer String needs, and the last digit tells the kind.
    """
    global _last_series_base
    with _series_lock:
        base = max(_last_series_base + 1, int(time.time() * 10) % 10**8)
        _last_series_base = base
    return base * 10 + 1, base * 10 + 2, base * 10 + 3


@dataclass(frozen=True)
class ResultObjects:
    """The Secondary Capture, the Structured Report and (anatomy on a DICOM film) the Segmentation of one image."""

    sc: Dataset
    sr: Dataset
    seg: Dataset | None = None

    @property
    def datasets(self) -> list[Dataset]:
        return [ds for ds in (self.sc, self.sr, self.seg) if ds is not None]


#: Type 2 Patient/Study attributes the copies must carry (empty when the source lacks them).
_TYPE2 = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
)


def source_dataset(xray: XRay) -> Dataset | None:
    """The header of the DICOM an XRay came from (no pixels), or None for a raster file."""
    if not xray.metadata.sop_instance_uid:
        return None
    try:
        ds = pydicom.dcmread(xray.source, stop_before_pixels=True)
    except Exception:  # the file went away or is not DICOM after all: treat like a raster input
        return None
    if "SOPInstanceUID" not in ds or "StudyInstanceUID" not in ds:
        return None
    for keyword in _TYPE2:
        if keyword not in ds:
            setattr(ds, keyword, "")
    return ds


def _placeholder_study(created: datetime) -> dict:
    return dict(
        study_instance_uid=generate_uid(),
        patient_id=PLACEHOLDER,
        patient_name=PLACEHOLDER_NAME,
        patient_birth_date=None,
        patient_sex=None,
        accession_number=None,
        study_id="1",
        study_date=created.date(),
        study_time=created.time().replace(microsecond=0),
        referring_physician_name=None,
    )


def _mark_deidentified(ds: Dataset) -> None:
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "CardioView: placeholder Patient/Study, no source reference"


def build_secondary_capture(
    report_rgb: np.ndarray,
    source: Dataset | None,
    series_uid: str,
    created: datetime,
    instance_number: int = 1,
    series_number: int = 1,
) -> Dataset:
    """The report picture as an RGB Secondary Capture, burned in (no overlays to lose).

    Args:
        report_rgb: uint8 (H, W, 3), e.g. ``build_report(...).image``.
        source: the source DICOM header to copy Patient/Study from and reference; None for placeholders.
    """
    common = dict(
        pixel_array=np.ascontiguousarray(report_rgb, dtype=np.uint8),
        photometric_interpretation="RGB",
        bits_allocated=8,
        coordinate_system="PATIENT",
        # the report shows the film as a PA view is read: patient left to the right, feet down
        patient_orientation=("L", "F"),
        series_instance_uid=series_uid,
        series_number=series_number,
        sop_instance_uid=generate_uid(),
        instance_number=instance_number,
        manufacturer=MANUFACTURER,
        transfer_syntax_uid=pydicom.uid.ExplicitVRLittleEndian,
    )
    if source is not None:
        with warnings.catch_warnings():  # highdicom's person-name advice would quote the name
            warnings.simplefilter("ignore", UserWarning)
            sc = hd.sc.SCImage.from_ref_dataset(source, **common)
        ref = Dataset()
        ref.ReferencedSOPClassUID = source.SOPClassUID
        ref.ReferencedSOPInstanceUID = source.SOPInstanceUID
        purpose = (
            hd.sr.CodedConcept("121112", "DCM", "Source of Information").to_dataset()
            if hasattr(hd.sr.CodedConcept, "to_dataset")
            else None
        )
        if purpose is not None:
            ref.PurposeOfReferenceCodeSequence = [purpose]
        sc.SourceImageSequence = [ref]
    else:
        sc = hd.sc.SCImage(**common, **_placeholder_study(created))
        _mark_deidentified(sc)
    _finish(sc, created, "CardioView report (burned-in, not for diagnostic use)")
    sc.ImageType = ["DERIVED", "SECONDARY"]
    sc.BurnedInAnnotation = "YES"
    sc.ConversionType = "WSD"
    sc.Laterality = ""  # type 2C in General Series: a chest is unpaired
    return sc


def _finish(ds: Dataset, created: datetime, description: str) -> None:
    ds.SoftwareVersions = f"cardioview {__version__}"
    ds.ManufacturerModelName = "CardioView"
    ds.SeriesDescription = "CardioView cardiomegaly analysis"
    ds.ContentDate = created.strftime("%Y%m%d")
    ds.ContentTime = created.strftime("%H%M%S")
    ds.SeriesDate, ds.SeriesTime = ds.ContentDate, ds.ContentTime
    if description and "DerivationDescription" not in ds:
        ds.DerivationDescription = description


def build_structured_report(
    prediction: Prediction,
    evidence: Dataset,
    series_uid: str,
    created: datetime,
    weights_sha256: str = "",
    ctr: CardiothoracicRatio | None = None,
    pixel_spacing: tuple[float, float] | None = None,
    model_version: str = "",
    instance_number: int = 2,
    series_number: int = 2,
    comparison=None,
) -> Dataset:
    """A TID 1500 Measurement Report: probability, threshold, decision, CTR (optional) and the model.

    ``comparison``: the change since the prior study (comparison.change.Change; issue 23), recorded as extra
    measurements (results/sr_comparison.py); None leaves them out.

    Args:
        evidence: the image the findings are about (the source DICOM, or the SC for a raster
            or de-identified input); Patient/Study come from it.
        weights_sha256: hash of the model weights, recorded as an algorithm parameter.
        ctr: the CTR reported; its method (automatic, adjusted, reader) comes from comparing it with
            the segmenter's calipers (anatomy.ctr_source), its diameters from its calipers.
        pixel_spacing: the film's (row, column) spacing in mm: diameters in mm, else in pixels.
    """
    name, _, short = prediction.model_id.partition("@")
    algorithm = hd.sr.AlgorithmIdentification(
        name=name or prediction.model_id,
        version=model_version or short or __version__,
        parameters=[
            f"model={prediction.model_id}",
            f"weights_sha256={weights_sha256 or 'unknown'}",
            f"backend={prediction.backend}",
            f"cardioview={__version__}",
        ],
    )
    measurements = [
        hd.sr.Measurement(
            name=PROBABILITY, value=round(float(prediction.probability), 6), unit=NO_UNITS, algorithm_id=algorithm
        ),
        hd.sr.Measurement(name=THRESHOLD, value=round(float(prediction.threshold), 6), unit=NO_UNITS),
    ]
    if ctr is not None:
        anatomy = getattr(prediction, "anatomy", None)
        source, automatic = ctr_source(ctr, anatomy), automatic_measurement(anatomy)
        measurements.append(
            hd.sr.Measurement(name=CTR, value=round(float(ctr.ratio), 4), unit=NO_UNITS, method=CTR_METHODS.get(source))
        )
        if source == "adjusted" and automatic is not None:
            value, method = round(float(automatic.ratio), 4), CTR_METHODS["automatic"]
            measurements.append(hd.sr.Measurement(name=AUTOMATIC_CTR, value=value, unit=NO_UNITS, method=method))
        heart, thorax, in_mm = ctr.diameters(pixel_spacing)
        unit = MILLIMETRE if in_mm else PIXELS
        for concept, value in ((HEART_DIAMETER, heart), (THORAX_DIAMETER, thorax)):
            if value is not None:
                measurements.append(hd.sr.Measurement(name=concept, value=round(float(value), 2), unit=unit))
    from cardioview.results.sr_comparison import comparison_evaluations, comparison_measurements  # issue 23

    measurements += comparison_measurements(comparison)
    decision = codes.SCT.Present if prediction.positive else codes.SCT.Absent
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=generate_uid(), identifier="cardiomegaly assessment"),
        finding_type=CARDIOMEGALY,
        algorithm_id=algorithm,
        source_images=[hd.sr.SourceImageForMeasurementGroup.from_source_image(evidence)],
        measurements=measurements,
        qualitative_evaluations=[
            hd.sr.QualitativeEvaluation(name=CARDIOMEGALY, value=decision),
            *comparison_evaluations(comparison),
        ],
    )
    device = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=generate_uid(),
            name="CardioView",
            manufacturer_name=MANUFACTURER,
            model_name=name or prediction.model_id,
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=device),
        procedure_reported=hd.sr.CodedConcept("399208008", "SCT", "Plain chest X-ray"),
        imaging_measurements=[group],
    )
    sr = hd.sr.ComprehensiveSR(
        evidence=[evidence],
        content=report[0],
        series_instance_uid=series_uid,
        series_number=series_number,
        sop_instance_uid=generate_uid(),
        instance_number=instance_number,
        manufacturer=MANUFACTURER,
        is_complete=True,
    )
    scheme = Dataset()
    scheme.CodingSchemeDesignator = SCHEME
    scheme.CodingSchemeName = "CardioView private concepts"
    scheme.CodingSchemeResponsibleOrganization = "CardioView"
    sr.CodingSchemeIdentificationSequence = [scheme]
    if getattr(evidence, "PatientIdentityRemoved", "") == "YES":
        _mark_deidentified(sr)
    _finish(sr, created, "")
    return sr


def build_results(
    xray: XRay,
    prediction: Prediction,
    *,
    deidentify: bool = False,
    ctr: CardiothoracicRatio | None = None,
    report_rgb: np.ndarray | None = None,
    weights_sha256: str = "",
    created: datetime | None = None,
    opacity: float = 0.2,
    comparison=None,
) -> ResultObjects:
    """SC + SR (+ SEG when the prediction has anatomy masks and a DICOM source is referenced) for one image.

    Args:
        ctr: the CTR to report in the SR (diameters from its calipers and the film's pixel spacing).
        report_rgb: the report picture; rendered with cardioview.render.report when None.
        deidentify: new Patient/Study placeholders, the source not referenced, a de-identified report.
        comparison: the change since the prior study (issue 23), in the report picture and the SR.
    """
    created = created or datetime.now(UTC)
    if report_rgb is None:
        from cardioview.render.report import build_report

        report_rgb = build_report(
            xray, prediction, opacity=opacity, deidentify=deidentify, created=created, ctr=ctr, comparison=comparison
        ).image
    source = None if deidentify else source_dataset(xray)
    with warnings.catch_warnings():  # highdicom/pydicom value advice may quote patient names
        warnings.simplefilter("ignore", UserWarning)
        # one series each: a series holds one modality (OT for the SC, SR for the report, SEG)
        sc_number, sr_number, seg_number = series_numbers()
        sc = build_secondary_capture(report_rgb, source, generate_uid(), created, series_number=sc_number)
        sr = build_structured_report(
            prediction,
            source if source is not None else sc,
            generate_uid(),
            created,
            weights_sha256=weights_sha256,
            ctr=ctr,
            pixel_spacing=xray.pixel_spacing,
            series_number=sr_number,
            comparison=comparison,
        )
    seg = None
    if source is not None and getattr(prediction, "anatomy", None) is not None:
        from cardioview.results.dicom_seg import build_segmentation

        seg = build_segmentation(prediction.anatomy, source, generate_uid(), seg_number, created)
    return ResultObjects(sc=sc, sr=sr, seg=seg)


def dataset_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()

"""The heart and lung masks as a DICOM Segmentation (highdicom) in the source film's study.

PACS viewers (OHIF, Weasis...) show a Segmentation as an overlay the reader can toggle,
unlike the outlines burnt into the Secondary Capture. Three binary segments, each coded
in SNOMED CT: heart, right lung, left lung, at the source film's own size, referencing it.
A raster input or a de-identified run has no source film to put them on: no Segmentation.
"""

from __future__ import annotations

import warnings
from datetime import datetime

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from cardioview import __version__
from cardioview.imageops import resize_nearest

ANATOMICAL_STRUCTURE = Code("123037004", "SCT", "Anatomical Structure")
#: (label, SNOMED CT code, AnatomyResult attribute) per segment, in segment-number order.
SEGMENTS = (
    ("Heart", Code("80891009", "SCT", "Heart"), "heart"),
    ("Right lung", Code("3341006", "SCT", "Right lung"), "right_lung"),
    ("Left lung", Code("44029006", "SCT", "Left lung"), "left_lung"),
)


def build_segmentation(
    anatomy, source: Dataset, series_uid: str, series_number: int, created: datetime, instance_number: int = 1
) -> Dataset:
    """A binary Segmentation of ``anatomy`` (an AnatomyResult) on the ``source`` film.

    Args:
        anatomy: masks at the image's size or smaller (resized nearest to the film's Rows x Columns).
        source: the source film's header (no pixels needed); Patient/Study come from it.
    """
    shape = (int(source.Rows), int(source.Columns))
    masks = [getattr(anatomy, attribute) for _, _, attribute in SEGMENTS]
    stack = np.stack([m if m.shape == shape else resize_nearest(m, shape) for m in masks], axis=-1)[None]
    algorithm = hd.AlgorithmIdentificationSequence(
        name="cardioview-anatomy", version=anatomy.model_id or __version__, family=codes.cid7162.ArtificialIntelligence
    )
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=label,
            segmented_property_category=ANATOMICAL_STRUCTURE,
            segmented_property_type=code,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
            tracking_uid=hd.UID(),
            tracking_id=label,
        )
        for number, (label, code, _) in enumerate(SEGMENTS, 1)
    ]
    with warnings.catch_warnings():  # highdicom's person-name advice would quote the name
        warnings.simplefilter("ignore", UserWarning)
        seg = hd.seg.Segmentation(
            source_images=[_geometry_safe(source)],
            pixel_array=stack,
            segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
            segment_descriptions=descriptions,
            series_instance_uid=series_uid,
            series_number=series_number,
            sop_instance_uid=hd.UID(),
            instance_number=instance_number,
            manufacturer="CardioView",
            manufacturer_model_name="CardioView",
            software_versions=f"cardioview {__version__}",
            device_serial_number="none",
            series_description="CardioView heart and lungs",
            content_label="ANATOMY",
        )
    if "FrameOfReferenceUID" not in seg:  # a projection radiograph: orientation by row/column directions
        seg.PatientOrientation = source.get("PatientOrientation", "")
    seg.ContentDate = created.strftime("%Y%m%d")
    seg.ContentTime = created.strftime("%H%M%S")
    seg.SeriesDate, seg.SeriesTime = seg.ContentDate, seg.ContentTime
    return seg


def _geometry_safe(source: Dataset) -> Dataset:
    """The header without a zero Pixel Spacing (some CRs write 0\\0), which the SEG would copy and break."""
    spacing = source.get("PixelSpacing")
    if spacing is None or all(float(v) > 0 for v in spacing):
        return source
    copy = Dataset(source)
    copy.file_meta = getattr(source, "file_meta", Dataset())
    del copy.PixelSpacing
    return copy

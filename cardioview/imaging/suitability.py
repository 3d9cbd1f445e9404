"""Suitability warnings: facts that make a reading less reliable but never stop it.

The model was trained on frontal (PA/AP) adult chest radiographs. Anything
else still loads and runs; the warnings travel with the XRay to the report.
"""

from __future__ import annotations

from cardioview.imaging.xray import XRayMetadata

#: Smallest side (px) below which the image is too coarse to read.
MIN_SIDE = 128

# Plain-radiograph modalities. DR is not a DICOM defined term but some vendors
# write it; RG is the defined term for film/screen radiographs (digitised film).
_RADIOGRAPH_MODALITIES = frozenset({"CR", "DX", "DR", "RG"})
# CHEST is the DICOM defined term; THORAX and LUNG are used by some vendors.
_CHEST_BODY_PARTS = frozenset({"CHEST", "THORAX", "LUNG"})
_LATERAL_VIEWS = frozenset({"LL", "RL", "LAT", "LATERAL"})

AP_VIEW_WARNING = "AP view magnifies the heart; the cardiothoracic ratio and the model are less reliable"


def suitability_warnings(metadata: XRayMetadata, shape: tuple[int, int]) -> tuple[str, ...]:
    """Warnings for an image that is not a typical frontal chest radiograph.

    Fields the source does not state (empty strings) raise no warning: a PNG
    has no modality, and most are chest X-rays.

    Args:
        metadata: header facts (modality, body part, view position).
        shape: (rows, columns) of the image.

    Returns:
        One sentence per problem, in a fixed order; empty when none.
    """
    warnings: list[str] = []
    modality = metadata.modality.strip().upper()
    if modality and modality not in _RADIOGRAPH_MODALITIES:
        warnings.append(f"modality {modality} is not a plain radiograph (CR/DX): the model reads chest X-rays only")
    body_part = metadata.body_part.strip().upper()
    if body_part and body_part not in _CHEST_BODY_PARTS:
        warnings.append(f"body part {body_part} is not CHEST: the model reads chest X-rays only")
    view = metadata.view_position.strip().upper()
    if view in _LATERAL_VIEWS:
        warnings.append(f"lateral view ({view}): the model reads frontal (PA/AP) chest X-rays only")
    elif view == "AP":
        warnings.append(AP_VIEW_WARNING)
    rows, columns = shape
    if min(rows, columns) < MIN_SIDE:
        warnings.append(f"image is only {columns}x{rows} px (under {MIN_SIDE} px): too coarse for a reliable reading")
    return tuple(warnings)

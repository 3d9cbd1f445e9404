"""Suitability: facts that make a reading less reliable, and those that make it meaningless.

The model was trained on frontal (PA/AP) adult chest radiographs. Anything
else still loads and runs and its warnings travel with the XRay, but an image
the model cannot read at all (an MR, a knee, a lateral film, a thumbnail) is
*not applicable*: it gets no verdict (``not_applicable_reason``). Softer facts
(AP view, unknown body part on a raster) keep the verdict beside a warning.
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


# Secondary capture / other: a digitised chest film is still readable, anything else is not.
_SECONDARY_CAPTURE_MODALITIES = frozenset({"OT", "SC"})


def not_applicable_reason(metadata: XRayMetadata, shape: tuple[int, int]) -> str:
    """Why the model's reading would be meaningless for this image, or "" when it applies.

    Not applicable: a modality other than a plain radiograph (CR/DX/DR/RG; a
    secondary capture only when it states a chest body part), a body part other
    than the chest, a lateral view, an image under MIN_SIDE px. A raster with no
    header facts (PNG/JPEG) is taken as a chest radiograph.

    Args:
        metadata: header facts (modality, body part, view position).
        shape: (rows, columns) of the image.

    Returns:
        One sentence naming the first problem found; "" when the model applies.
    """
    modality = metadata.modality.strip().upper()
    body_part = metadata.body_part.strip().upper()
    view = metadata.view_position.strip().upper()
    if modality and modality not in _RADIOGRAPH_MODALITIES:
        if modality not in _SECONDARY_CAPTURE_MODALITIES:
            return f"modality {modality} is not a plain radiograph (CR/DX)"
        if body_part not in _CHEST_BODY_PARTS:
            return f"secondary capture ({modality}) that does not state a chest radiograph"
    if body_part and body_part not in _CHEST_BODY_PARTS:
        return f"body part {body_part} is not the chest"
    if view in _LATERAL_VIEWS:
        return f"lateral view ({view}); the model reads frontal chest films only"
    rows, columns = shape
    if min(rows, columns) < MIN_SIDE:
        return f"image is only {columns}x{rows} px (under {MIN_SIDE} px)"
    return ""


def xray_not_applicable_reason(xray) -> str:
    """``not_applicable_reason`` for an XRay (its metadata and pixel shape)."""
    return not_applicable_reason(xray.metadata, tuple(xray.pixels.shape[:2]))

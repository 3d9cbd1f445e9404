"""What the listener accepts: the storage classes it analyses, in every transfer syntax it can decode.

Only these classes are offered (plus Verification); an association proposing
anything else gets that presentation context rejected (abstract syntax not
supported), so a PACS never believes a CT or an MR went somewhere it is read.
The compressed syntaxes are stored as received (never transcoded) and decoded
by the isolated decode worker when the film is analysed.
"""

from __future__ import annotations

from pydicom.uid import (
    JPEG2000,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom.presentation import PresentationContext, build_context
from pynetdicom.sop_class import (
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    SecondaryCaptureImageStorage,
    Verification,
)

#: The storage classes the node analyses: CR, DX (both intents) and Secondary Capture (a digitised chest film).
ANALYSED_CLASSES: tuple[UID, ...] = (
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    SecondaryCaptureImageStorage,
)

#: Uncompressed first (what a sender falls back to), then every compressed syntax the decoders read.
ACCEPTED_SYNTAXES: tuple[UID, ...] = (
    ExplicitVRLittleEndian,  # 1.2.840.10008.1.2.1
    ImplicitVRLittleEndian,  # 1.2.840.10008.1.2
    ExplicitVRBigEndian,  # 1.2.840.10008.1.2.2 (retired, still sent by old modalities)
    DeflatedExplicitVRLittleEndian,  # 1.2.840.10008.1.2.1.99
    JPEGBaseline8Bit,  # 1.2.840.10008.1.2.4.50
    JPEGExtended12Bit,  # 1.2.840.10008.1.2.4.51
    JPEGLossless,  # 1.2.840.10008.1.2.4.57
    JPEGLosslessSV1,  # 1.2.840.10008.1.2.4.70
    JPEGLSLossless,  # 1.2.840.10008.1.2.4.80
    JPEGLSNearLossless,  # 1.2.840.10008.1.2.4.81
    JPEG2000Lossless,  # 1.2.840.10008.1.2.4.90
    JPEG2000,  # 1.2.840.10008.1.2.4.91
    RLELossless,  # 1.2.840.10008.1.2.5
)


def supported_contexts() -> list[PresentationContext]:
    """The SCP's presentation contexts: each analysed class in every accepted syntax, and Verification."""
    contexts = [build_context(uid, list(ACCEPTED_SYNTAXES)) for uid in ANALYSED_CLASSES]
    contexts.append(build_context(Verification))
    return contexts


def syntax_name(uid: str) -> str:
    """'JPEG Lossless ... (1.2.840.10008.1.2.4.70)' for messages; the bare UID when pydicom does not know it."""
    name = UID(uid).name
    return f"{name} ({uid})" if name and name != uid else str(uid)

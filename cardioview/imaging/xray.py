"""The XRay value object: display-ready pixels plus plain metadata.

No Qt and no torch here: every layer (CLI, GUI, training) passes XRays around.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Window:
    """A display window in modality units (DICOM Window Center/Width)."""

    center: float
    width: float
    explanation: str = ""


@dataclass(frozen=True)
class XRayMetadata:
    """Header facts about one image. Strings are '' when the source has no such field.

    Patient fields are shown in the viewer and the report, and never logged.
    """

    patient_name: str = ""
    patient_id: str = ""
    patient_sex: str = ""
    patient_age: str = ""
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    sop_instance_uid: str = ""
    study_date: str = ""
    study_time: str = ""  # DICOM TM; orders a patient's studies of one day (issue 23)
    study_description: str = ""
    series_description: str = ""
    modality: str = ""
    body_part: str = ""
    view_position: str = ""
    manufacturer: str = ""
    photometric_interpretation: str = ""
    transfer_syntax: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def deidentified(self) -> XRayMetadata:
        """A copy without the fields that identify the patient or the study."""
        return XRayMetadata(
            patient_sex=self.patient_sex,
            patient_age=self.patient_age,
            modality=self.modality,
            body_part=self.body_part,
            view_position=self.view_position,
            manufacturer=self.manufacturer,
            photometric_interpretation=self.photometric_interpretation,
            transfer_syntax=self.transfer_syntax,
        )


@dataclass(frozen=True, eq=False)
class XRay:
    """One frontal chest radiograph, ready to display and to analyse.

    Attributes:
        pixels: float32 (H, W) in [0, 1]; bright = dense (bone white, lungs dark),
            after the modality LUT, the VOI LUT/window and MONOCHROME1 inversion.
        source: the file it came from.
        bits_stored: bit depth of the stored samples (8 for most PNGs).
        pixel_spacing: (row, column) spacing in mm, when the source states it.
        metadata: header facts (patient, study, series, view...).
        warnings: suitability warnings, e.g. "AP view magnifies the heart".
            They never stop the analysis; they travel to the report.
        modality_pixels: float32 (H, W) after the modality LUT only, for re-windowing
            in the viewer; None for raster files.
        windows: DICOM-defined windows that apply to ``modality_pixels``.
        invert_display: True when MONOCHROME1 was inverted, so a viewer that
            re-windows ``modality_pixels`` knows to invert again.
        frame / frames: which frame of the file this is (0-based) and how many it has.
    """

    pixels: np.ndarray
    source: Path
    bits_stored: int = 8
    pixel_spacing: tuple[float, float] | None = None
    metadata: XRayMetadata = field(default_factory=XRayMetadata)
    warnings: tuple[str, ...] = ()
    modality_pixels: np.ndarray | None = None
    windows: tuple[Window, ...] = ()
    invert_display: bool = False
    frame: int = 0
    frames: int = 1

    def __post_init__(self) -> None:
        if self.pixels.ndim != 2:
            raise ValueError(f"XRay pixels must be 2-D, got shape {self.pixels.shape}")
        if self.pixels.dtype != np.float32:
            raise ValueError(f"XRay pixels must be float32, got {self.pixels.dtype}")

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    @property
    def name(self) -> str:
        return Path(self.source).name

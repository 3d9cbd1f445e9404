"""Real NIH radiographs for render tests (skipped when ../shared/data is absent)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cardioview.imaging.xray import XRay, XRayMetadata
from cardioview.model.prediction import Prediction

NIH1024 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nih1024"
CARDIOMEGALY_PNG = NIH1024 / "images" / "00000001_000.png"

PATIENT = XRayMetadata(
    patient_name="M\u00dcLLER^JOS\u00c9",
    patient_id="NIH-PID-0001",
    patient_sex="M",
    patient_age="058Y",
    study_date="20240131",
    study_description="CHEST PA",
    sop_instance_uid="1.2.826.0.1.3680043.8.498.4242",
    modality="DX",
    view_position="PA",
)


def nih_xray(path: Path = CARDIOMEGALY_PNG, metadata: XRayMetadata = PATIENT) -> XRay:
    if not path.exists():
        pytest.skip(f"NIH test images not found at {NIH1024} (../shared/data is absent in a fresh clone)")
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return XRay(pixels=(gray / 255.0).astype(np.float32), source=path, metadata=metadata)


def peaked_attention(
    peak: tuple[int, int] = (4, 3), low: float = 0.001, high: float = 0.08, size: int = 7
) -> np.ndarray:
    """A (size, size) map at ``low`` everywhere except ``high`` at ``peak``, as a trained AMM might give."""
    attention = np.full((size, size), low, dtype=np.float32)
    attention[peak] = high
    return attention


def make_prediction(probability: float = 0.873, attention: np.ndarray | None = None, **kwargs) -> Prediction:
    fields = dict(
        threshold=0.5,
        model_id="cxa_dense121@1a2b3c4d",
        backend="onnxruntime",
        device="CPU",
        elapsed_ms=84.0,
        input_size=(224, 224),
        warnings=("PNG file: no DICOM header",),
        intended_use="research",
    )
    fields.update(kwargs)
    return Prediction(
        probability=probability, attention=peaked_attention() if attention is None else attention, **fields
    )


@pytest.fixture(scope="module")
def xray() -> XRay:
    return nih_xray()

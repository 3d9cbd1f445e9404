"""The Prediction value object: what the model said about one XRay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POSITIVE_LABEL = "cardiomegaly"
NEGATIVE_LABEL = "no cardiomegaly"
NOT_APPLICABLE_LABEL = "not applicable"


@dataclass(frozen=True, eq=False)
class Prediction:
    """Model output for one image.

    Attributes:
        probability: calibrated P(cardiomegaly) in [0, 1].
        attention: float32 (h, w) attention map W in [0, 1] at feature resolution
            (7x7 for a 224 px input to DenseNet-121). Upsample it for display.
        threshold: decision threshold the label was computed with.
        model_id: bundle name + short hash, e.g. "cxa_dense121@1a2b3c4d".
        backend: "onnxruntime" or "torch".
        device: human-readable device, e.g. "CPU" or "CUDA: NVIDIA H100".
        elapsed_ms: wall time of preprocess + forward.
        input_size: (H, W) of the tensor fed to the network.
        warnings: suitability and preprocessing warnings carried to the report.
        intended_use: the bundle's intended use ("research", "demo", "clinical").
        attention_note: how far the bundle's attention map was shown to localise
            (WeightsBundle.attention_note), carried to the report.
        not_applicable: why the model does not apply to this image (an MR, a
            knee, a lateral film...; imaging.suitability.not_applicable_reason),
            "" when it does. A not-applicable result has no verdict: ``label``
            is NOT_APPLICABLE_LABEL and ``positive`` is False.
        anatomy: heart/lung masks and the CTR (cardioview.anatomy.AnatomyResult)
            when the Predictor has a segmenter; None otherwise.
        probability_note: what the probability and the threshold mean at 5 % and 20 % prevalence
            (inference/prevalence.py; the viewer's tooltip); empty when the bundle records no operating point.
    """

    probability: float
    attention: np.ndarray
    threshold: float
    model_id: str
    backend: str
    device: str
    elapsed_ms: float
    input_size: tuple[int, int]
    warnings: tuple[str, ...] = ()
    intended_use: str = "research"
    attention_note: str = ""
    not_applicable: str = ""
    anatomy: object | None = None  # AnatomyResult; typed loosely to keep this module free of the anatomy package
    probability_note: str = ""

    @property
    def applicable(self) -> bool:
        return not self.not_applicable

    @property
    def positive(self) -> bool:
        return self.applicable and self.probability >= self.threshold

    @property
    def label(self) -> str:
        if not self.applicable:
            return NOT_APPLICABLE_LABEL
        return POSITIVE_LABEL if self.positive else NEGATIVE_LABEL

    def for_xray(self, xray) -> Prediction:
        """This result with the image's applicability attached (not applicable: no verdict)."""
        from dataclasses import replace

        from cardioview.imaging.suitability import xray_not_applicable_reason

        return replace(self, not_applicable=xray_not_applicable_reason(xray))

    def with_threshold(self, threshold: float) -> Prediction:
        """The same result judged against another threshold (no re-inference)."""
        from dataclasses import replace

        return replace(self, threshold=float(threshold))

    def to_dict(self) -> dict:
        """JSON-ready summary (the attention map as nested lists, 4 decimals)."""
        return {
            "probability": round(float(self.probability), 6),
            "threshold": round(float(self.threshold), 6),
            "label": self.label,
            "model": self.model_id,
            "backend": self.backend,
            "device": self.device,
            "elapsed_ms": round(float(self.elapsed_ms), 2),
            "input_size": list(self.input_size),
            "warnings": list(self.warnings),
            "intended_use": self.intended_use,
            "attention_note": self.attention_note,
            "not_applicable": self.not_applicable,
            "attention": np.round(self.attention.astype(float), 4).tolist(),
            **({"anatomy": self.anatomy.to_dict()} if self.anatomy is not None else {}),
        }

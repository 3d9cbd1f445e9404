"""The Predictor: bundle + backend -> Prediction for an XRay.

>>> predictor = Predictor("weights/cxa_dense121")          # ONNX Runtime on CPU here
>>> prediction = predictor.predict(load("resources/samples/nih_cardiomegaly.png"))
>>> prediction.probability, prediction.attention.shape      # (0.87, (7, 7))
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from cardioview.errors import CardioViewError, WeightsError
from cardioview.imageops import to_uint8
from cardioview.imaging.xray import XRay
from cardioview.inference.backends import Backend, open_backend
from cardioview.inference.calibration_map import recalibrate_probability
from cardioview.inference.preprocess import preprocess
from cardioview.inference.prevalence import manifest_probability_note
from cardioview.model.bundle import WeightsBundle, find_default_bundle, load_bundle
from cardioview.model.prediction import Prediction


class InvalidInputError(CardioViewError, ValueError):
    """The Predictor was given pixels it refuses to analyse."""


FULL_RESOLUTION_WARNING = "analysed at full resolution: the model was trained at {size} px, so probabilities may shift"


class Predictor:
    """Loads a weights bundle once and analyses XRays with it.

    Args:
        bundle: a WeightsBundle, a bundle folder, or None for the shipped default.
        backend: "auto", "onnx" or "torch".
        device: "auto", "cpu", "cuda" or "mps".
        full_resolution: feed images near their own size instead of the training size.
        threshold: decision threshold; defaults to the manifest's.
        anatomy: segmenter bundle folder, False for none, None for the shipped one if present.
    """

    def __init__(
        self,
        bundle: WeightsBundle | str | Path | None = None,
        backend: str = "auto",
        device: str = "auto",
        full_resolution: bool = False,
        threshold: float | None = None,
        anatomy: str | Path | bool | None = None,
    ):
        if bundle is None:
            found = find_default_bundle()
            if found is None:
                raise WeightsError(NO_WEIGHTS_HELP)
            bundle = found
        self.bundle = bundle if isinstance(bundle, WeightsBundle) else load_bundle(bundle)
        self.spec = self.bundle.preprocess
        self.backend: Backend = open_backend(self.bundle, backend, device)
        self.full_resolution = full_resolution
        self.threshold = self.bundle.threshold if threshold is None else float(threshold)
        # the heart/lung segmenter (weights/cxr_anatomy) when shipped; see inference/anatomy_runner.py
        from cardioview.inference.anatomy_runner import optional_runner

        self.anatomy = optional_runner(anatomy, device)
        # the segmenter runs beside the classifier: both runtimes release the GIL, and on a CPU the
        # classifier's forward leaves cores idle between its layers (issue 19, item 6)
        self._beside = None if self.anatomy is None else ThreadPoolExecutor(1, thread_name_prefix="segmenter")

    @property
    def model_id(self) -> str:
        return self.bundle.model_id

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def device_name(self) -> str:
        return self.backend.device

    def predict(self, xray: XRay, full_resolution: bool | None = None) -> Prediction:
        """Preprocess as the manifest says, run the backend, wrap the result."""
        full = self.full_resolution if full_resolution is None else full_resolution
        start = time.perf_counter()
        check_usable_pixels(xray.pixels)
        # the full-size 8-bit film once, for the classifier and the segmenter (each prepares its own input from it)
        gray8 = to_uint8(xray.pixels)
        segmenting = None if self._beside is None else self._beside.submit(self.anatomy.segment, xray, gray8)
        batch = preprocess(xray.pixels, self.spec, full_resolution=full, gray8=gray8)
        probability, attention = self.backend.run(batch)
        probability = float(np.clip(recalibrate_probability(probability, self.bundle.recalibration)[0], 0.0, 1.0))
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        warnings = list(xray.warnings)
        if full:
            warnings.append(FULL_RESOLUTION_WARNING.format(size=self.spec.input_size))
        view = xray.metadata.view_position.strip().upper()
        view_note = self.bundle.manifest.get("view_notes", {}).get(view)
        if view_note:
            warnings.append(f"{view} film: {view_note}")
        return Prediction(
            probability=probability,
            attention=np.clip(attention[0], 0.0, 1.0).astype(np.float32),
            threshold=self.threshold,
            model_id=self.model_id,
            backend=self.backend_name,
            device=self.device_name,
            elapsed_ms=elapsed_ms,
            input_size=(int(batch.shape[2]), int(batch.shape[3])),
            warnings=tuple(warnings),
            intended_use=self.bundle.intended_use,
            attention_note=self.bundle.attention_note,
            anatomy=None if segmenting is None else segmenting.result(),
            probability_note=manifest_probability_note(self.bundle.manifest, probability, self.threshold, view),
        )


def check_usable_pixels(pixels: np.ndarray) -> None:
    """Refuse input the model would answer with a plausible but meaningless probability.

    Raises:
        InvalidInputError: NaN/inf pixels, or an all-zero / constant image.
    """
    values = np.asarray(pixels)
    if values.size == 0:
        raise InvalidInputError("the image has no pixels")
    # min and max (two passes, no full-size boolean copy) also reveal NaN and infinities
    low, high = float(values.min()), float(values.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise InvalidInputError("the image has non-finite (NaN or infinite) pixel values: not analysed")
    if low == high:
        raise InvalidInputError(f"the image is constant (every pixel {low:g}): not analysed")


NO_WEIGHTS_HELP = (
    "no model weights found: the shipped bundle is expected in weights/cxa_dense121/. "
    "Pass --weights PATH to a bundle folder (manifest.json + model.onnx/model.safetensors), "
    "set CARDIOVIEW_WEIGHTS, or train one: cardioview train --data FOLDER_WITH_labels.csv --out weights/cxa_dense121"
)

"""The segmenter at inference: ONNX Runtime session -> masks at the image's size -> quality check -> CTR.

Used by the Predictor (``Predictor.anatomy``) so one call gives the probability,
the attention map, the masks and the CTR. No torch.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from cardioview.anatomy import AnatomyResult, assess
from cardioview.anatomy.components import largest_component
from cardioview.errors import WeightsError
from cardioview.imageops import resize_gray
from cardioview.imaging.xray import XRay
from cardioview.inference.preprocess import prepare_gray, to_batch
from cardioview.model.anatomy_bundle import ONNX, AnatomyBundle, find_anatomy_bundle, load_anatomy_bundle


class AnatomyRunner:
    """Loads the segmenter bundle once; ``segment(xray)`` -> AnatomyResult.

    Args:
        bundle: an AnatomyBundle or its folder.
        device: "auto"/"cpu"/"cuda" (CUDA when ONNX Runtime has it).
    """

    def __init__(self, bundle: AnatomyBundle | str | Path, device: str = "auto"):
        import onnxruntime as ort

        self.bundle = bundle if isinstance(bundle, AnatomyBundle) else load_anatomy_bundle(bundle)
        self.spec = self.bundle.preprocess
        path = self.bundle.verified_path(ONNX)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if os.environ.get("CARDIOVIEW_THREADS"):
            options.intra_op_num_threads = int(os.environ["CARDIOVIEW_THREADS"])
        providers = ["CPUExecutionProvider"]
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime's own exception types
            raise WeightsError(f"{path.name}: ONNX Runtime cannot load it ({str(exc).splitlines()[0]})") from exc

    @property
    def model_id(self) -> str:
        return self.bundle.model_id

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """float32 (3, S, S) mask probabilities at the network's input size."""
        size = (self.spec.input_size, self.spec.input_size)
        batch = to_batch(prepare_gray(pixels, self.spec, size), 1)
        return self.session.run(None, {"image": batch})[0][0]

    def masks(self, pixels: np.ndarray, shape: tuple[int, int] | None = None,
              with_shares: bool = False):
        """bool heart, right lung, left lung at the image's own size (or ``shape``), each its largest blob.

        Blobs are found at network resolution (cheap), then the probabilities are
        resized bilinearly and thresholded inside the (slightly dilated) blob.
        ``with_shares`` also returns each blob's share of its raw mask.
        """
        probs = self.probabilities(pixels)
        shape = pixels.shape[:2] if shape is None else shape
        out, shares = [], []
        for p in probs:
            blob, share = largest_component(p >= self.bundle.threshold)
            gate = _nearest(_dilate(blob, 2), shape)
            out.append((resize_gray(p.astype(np.float32), shape) >= self.bundle.threshold) & gate)
            shares.append(share)
        return (tuple(out), tuple(shares)) if with_shares else tuple(out)

    def segment(self, xray: XRay) -> AnatomyResult:
        """Masks, quality check and CTR of one film; the masks are kept at :func:`measuring_shape`."""
        start = time.perf_counter()
        image_shape = tuple(xray.pixels.shape[:2])
        shape = measuring_shape(image_shape)
        (heart, right, left), shares = self.masks(xray.pixels, shape, with_shares=True)
        view = xray.metadata.view_position if xray.metadata is not None else ""
        result = assess(heart, right, left, view=view, model_id=self.model_id, shares=shares)
        m = result.measurement
        if m is not None and shape != image_shape:
            m = m.scaled(image_shape[1] / shape[1], image_shape[0] / shape[0])
        return replace(result, measurement=m, image_shape=None if shape == image_shape else image_shape,
                       elapsed_ms=(time.perf_counter() - start) * 1000.0)


#: Long side of the masks the CTR is measured on. The network sees 160-192 px, and its
#: probabilities are resized bilinearly, so 512 px keeps sub-pixel edges at the network's scale
#: (a diameter to within 1/512 of the film's width, about 0.002 of a CTR) at a fraction of the
#: cost of a full-size film.
MEASURE_SIDE = 512


def measuring_shape(image_shape: tuple[int, int], side: int = MEASURE_SIDE) -> tuple[int, int]:
    """The image's (H, W) scaled down so its long side is at most ``side`` (never enlarged)."""
    h, w = image_shape
    scale = min(1.0, side / max(h, w))
    return (max(1, round(h * scale)), max(1, round(w * scale))) if scale < 1.0 else (h, w)


def _dilate(mask: np.ndarray, steps: int) -> np.ndarray:
    m = mask.copy()
    for _ in range(steps):
        d = m.copy()
        d[1:] |= m[:-1]
        d[:-1] |= m[1:]
        d[:, 1:] |= m[:, :-1]
        d[:, :-1] |= m[:, 1:]
        m = d
    return m


def _nearest(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = mask.shape
    ys = np.minimum(((np.arange(shape[0]) + 0.5) * h / shape[0]).astype(int), h - 1)
    xs = np.minimum(((np.arange(shape[1]) + 0.5) * w / shape[1]).astype(int), w - 1)
    return mask[ys[:, None], xs[None, :]]


def default_runner(device: str = "auto") -> AnatomyRunner | None:
    """The shipped segmenter, or None when weights/cxr_anatomy is absent."""
    path = find_anatomy_bundle()
    return None if path is None else AnatomyRunner(path, device)


def optional_runner(anatomy, device: str = "auto") -> AnatomyRunner | None:
    """The Predictor's segmenter: a bundle path, False/"" for none, None for the shipped one (absent -> None).

    An explicitly named bundle that fails to load raises WeightsError; the shipped
    one failing is logged and leaves the classifier working alone.
    """
    if anatomy is False or anatomy == "":
        return None
    if anatomy is not None and anatomy is not True:
        return AnatomyRunner(anatomy, device)
    try:
        return default_runner(device)
    except (WeightsError, ImportError) as exc:
        import logging
        logging.getLogger(__name__).warning("segmenter not loaded: %s", exc)
        return None

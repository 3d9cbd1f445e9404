"""The segmenter at inference: ONNX Runtime session -> masks at the image's size -> quality check -> CTR.

Used by the Predictor (``Predictor.anatomy``) so one call gives the probability,
the attention map, the masks and the CTR. No torch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from cardioview.anatomy import AnatomyResult, assess
from cardioview.anatomy.components import largest_component
from cardioview.errors import BackendUnavailableError, WeightsError
from cardioview.imageops import resize_gray, resize_nearest
from cardioview.imaging.xray import XRay
from cardioview.inference.onnx_session import open_onnx_session
from cardioview.inference.preprocess import prepare_gray, to_batch
from cardioview.model.anatomy_bundle import ONNX, AnatomyBundle, find_anatomy_bundle, load_anatomy_bundle


class AnatomyRunner:
    """Loads the segmenter bundle once; ``segment(xray)`` -> AnatomyResult.

    Args:
        bundle: an AnatomyBundle or its folder.
        device: "auto"/"cpu"/"cuda" (CUDA when ONNX Runtime has it).
    """

    def __init__(self, bundle: AnatomyBundle | str | Path, device: str = "auto"):
        self.bundle = bundle if isinstance(bundle, AnatomyBundle) else load_anatomy_bundle(bundle)
        self.spec = self.bundle.preprocess
        path = self.bundle.verified_path(ONNX)
        # The segmenter follows the classifier's device choice: without CUDA it runs on the CPU.
        self.session, _ = open_onnx_session(path, device, strict=False)

    @property
    def model_id(self) -> str:
        return self.bundle.model_id

    def probabilities(self, pixels: np.ndarray, gray8: np.ndarray | None = None) -> np.ndarray:
        """float32 (3, S, S) mask probabilities at the network's input size.

        ``gray8``: ``to_uint8(pixels)``, when the caller (the Predictor) already has it.
        """
        size = (self.spec.input_size, self.spec.input_size)
        batch = to_batch(prepare_gray(pixels, self.spec, size, gray8), 1)
        return self.session.run(None, {"image": batch})[0][0]

    def masks(
        self,
        pixels: np.ndarray,
        shape: tuple[int, int] | str | None = None,
        with_shares: bool = False,
        gray8: np.ndarray | None = None,
    ):
        """bool heart, right lung, left lung at the image's own size (or ``shape``, or NETWORK_GRID),
        each its largest blob.

        Blobs are found at network resolution (cheap), then the probabilities are
        resized bilinearly and thresholded inside the (slightly dilated) blob.
        ``with_shares`` also returns each blob's share of its raw mask.
        """
        probs = self.probabilities(pixels, gray8)
        shape = pixels.shape[:2] if shape is None else probs.shape[1:] if shape == NETWORK_GRID else tuple(shape)
        out, shares = [], []
        for p in probs:
            blob, share = largest_component(p >= self.bundle.threshold)
            if shape == p.shape:
                out.append(blob)
            else:
                gate = resize_nearest(_dilate(blob, 2), shape)
                out.append((resize_gray(p.astype(np.float32), shape) >= self.bundle.threshold) & gate)
            shares.append(share)
        return (tuple(out), tuple(shares)) if with_shares else tuple(out)

    def segment(self, xray: XRay, gray8: np.ndarray | None = None) -> AnatomyResult:
        """Masks, quality check and CTR of one film, measured on the network's own output grid.

        The masks stay at the network's size (``image_shape`` says the film's): resizing three
        probability maps to a film of thousands of pixels cost more than the network itself,
        and on the Wingspan test films the CTR measured on the 128 px grid agrees with the
        radiologists' key points as well as on 512 px masks (MAE 0.0142 vs 0.0151). The calipers
        are scaled to the film's pixels (x and y separately, as the network input is square).
        """
        start = time.perf_counter()
        image_shape = tuple(xray.pixels.shape[:2])
        (heart, right, left), shares = self.masks(xray.pixels, NETWORK_GRID, with_shares=True, gray8=gray8)
        view = xray.metadata.view_position if xray.metadata is not None else ""
        result = assess(heart, right, left, view=view, model_id=self.model_id, shares=shares)
        shape = heart.shape
        m = result.measurement
        if m is not None and shape != image_shape:
            m = m.scaled(image_shape[1] / shape[1], image_shape[0] / shape[0])
        return replace(
            result,
            measurement=m,
            image_shape=None if shape == image_shape else image_shape,
            elapsed_ms=(time.perf_counter() - start) * 1000.0,
        )


#: ``masks(..., shape=NETWORK_GRID)``: keep the masks on the network's output grid (no resizing).
NETWORK_GRID = "network"


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
    except (WeightsError, BackendUnavailableError) as exc:
        logging.getLogger(__name__).warning("segmenter not loaded: %s", exc)
        return None

"""The one preprocessing path, shared by inference and training.

The weights manifest records a :class:`~cardioview.model.preprocess_spec.PreprocessSpec`; the trainer builds its
tensors with :func:`preprocess` and the Predictor repeats it exactly.

Two versions, recorded in the manifest so that every bundle keeps its own steps:

- version 1 (bundles before issue 19): equalise the full-size 8-bit film, then resize it to the input size.
- version 2 (``nih_render``): render the film as the cxr128 thumbnails were made (NIH's 1024x1024
  geometry, OpenCV bilinear to the input size, CLAHE 8x8, global equalisation). An image no larger
  than the input size is taken as such a thumbnail (the training set) and only equalised (and resized):
  rendering a thumbnail a second time would change it (median |dP| 0.022 on the 90 nih-boxes pairs).
"""

from __future__ import annotations

import numpy as np

from cardioview.imageops import equalize_and_resize, resize_gray, to_uint8
from cardioview.inference.nih_render import render_thumbnail
from cardioview.model.preprocess_spec import PreprocessSpec

#: Longest side fed to the network in full-resolution mode; bounds memory on
#: 3000 px CR images while keeping NIH's 1024 px originals whole.
FULL_RESOLUTION_MAX_SIDE = 1024
#: Full-resolution sizes are rounded to this (DenseNet downsamples by 32).
SIZE_MULTIPLE = 32


def target_size(shape: tuple[int, int], spec: PreprocessSpec, full_resolution: bool) -> tuple[int, int]:
    """(H, W) the network will see.

    Training size by default; with ``full_resolution`` the image keeps its aspect
    ratio, its long side capped at FULL_RESOLUTION_MAX_SIDE and both sides rounded
    to a multiple of 32.
    """
    if not full_resolution:
        return spec.input_size, spec.input_size
    h, w = shape
    scale = min(1.0, FULL_RESOLUTION_MAX_SIDE / max(h, w))

    def snap(n: float) -> int:
        return max(SIZE_MULTIPLE, int(round(n / SIZE_MULTIPLE)) * SIZE_MULTIPLE)

    return snap(h * scale), snap(w * scale)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (H, W) to size=(H, W): area averaging to shrink, bilinear to enlarge (see imageops.resize_gray)."""
    return resize_gray(image, size)


def minmax(image: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant image becomes all zeros instead of dividing by 0."""
    image = image.astype(np.float32, copy=False)
    lo, hi = float(image.min()), float(image.max())
    if hi - lo < 1e-6:
        return np.zeros_like(image, dtype=np.float32)
    return (image - lo) / (hi - lo)


def render_gray8(gray8: np.ndarray, spec: PreprocessSpec, size: tuple[int, int]) -> np.ndarray:
    """Version 2's uint8 image at ``size`` from the 8-bit film (see the module docstring)."""
    if max(gray8.shape) <= max(size) or size[0] != size[1] or size[0] != spec.input_size:
        # already a prepared thumbnail (the training set), or full-resolution mode (no thumbnail to
        # reproduce): equalise and resize as version 1 (equalizeHist leaves an equalised image as it is)
        return equalize_and_resize(gray8, size)
    return render_thumbnail(gray8, size[0], spec.clahe_clip, spec.clahe_tiles)


def prepare_gray(
    pixels: np.ndarray, spec: PreprocessSpec, size: tuple[int, int], gray8: np.ndarray | None = None
) -> np.ndarray:
    """Display pixels -> float32 (H, W) in [0, 1] at ``size``: the per-image part.

    Training caches this result and applies augmentation to it.

    Args:
        gray8: ``to_uint8(pixels)``, when the caller already has it (the Predictor makes it once for the
            classifier and the segmenter).
    """
    if gray8 is None:
        gray8 = to_uint8(pixels)
    if spec.renders_thumbnail:
        return minmax(render_gray8(gray8, spec, size))
    # version 1: equalise the full-size film, then resize (fused when shrinking: no full-size equalised copy)
    return minmax(equalize_and_resize(gray8, size) if spec.equalize else resize(gray8, size))


def to_batch(gray: np.ndarray, channels: int) -> np.ndarray:
    """float32 (H, W) -> contiguous float32 (1, C, H, W)."""
    return np.ascontiguousarray(np.broadcast_to(gray, (1, channels) + gray.shape), dtype=np.float32)


def preprocess(
    pixels: np.ndarray, spec: PreprocessSpec, full_resolution: bool = False, gray8: np.ndarray | None = None
) -> np.ndarray:
    """Display-ready pixels (float [0, 1] or uint8, (H, W)) -> network input (1, C, H, W).

    Args:
        pixels: XRay.pixels, or a uint8 gray image.
        spec: the bundle's preprocessing.
        full_resolution: feed the image near its own size instead of input_size.
        gray8: ``to_uint8(pixels)`` if already computed (see :func:`prepare_gray`).

    Returns:
        float32 array (1, spec.channels, H, W), values in [0, 1].
    """
    size = target_size(pixels.shape[:2], spec, full_resolution)
    return to_batch(prepare_gray(pixels, spec, size, gray8), spec.channels)

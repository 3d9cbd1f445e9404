"""The one preprocessing path, shared by inference and training.

The weights manifest records a :class:`PreprocessSpec`; the trainer builds its
tensors with :func:`preprocess` and the Predictor repeats it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, asdict

import numpy as np

from cardioview.imageops import equalize_hist, resize_gray

#: Longest side fed to the network in full-resolution mode; bounds memory on
#: 3000 px CR images while keeping NIH's 1024 px originals whole.
FULL_RESOLUTION_MAX_SIDE = 1024
#: Full-resolution sizes are rounded to this (DenseNet downsamples by 32).
SIZE_MULTIPLE = 32


@dataclass(frozen=True)
class PreprocessSpec:
    """How pixels become a network input.

    Attributes:
        input_size: square side in pixels at training time (e.g. 224).
        equalize: histogram-equalise the 8-bit image first (the NIH cxr128
            training set was equalised, so a model trained on it needs this).
        channels: replicate gray to this many channels (3 for ImageNet backbones).
    """

    input_size: int = 224
    equalize: bool = True
    channels: int = 3

    def to_dict(self) -> dict:
        d = asdict(self)
        d["steps"] = self.describe()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessSpec":
        return cls(
            input_size=int(d["input_size"]),
            equalize=bool(d["equalize"]),
            channels=int(d.get("channels", 3)),
        )

    def describe(self) -> list[str]:
        """The steps in words, for the manifest and the model card."""
        steps = ["to 8-bit gray (display-ready, bright = dense)"]
        if self.equalize:
            steps.append("histogram equalisation (as cv2.equalizeHist, bit-exact)")
        steps += [
            f"resize to {self.input_size}x{self.input_size} (area when shrinking, bilinear when enlarging)",
            "min-max normalise to [0, 1]",
            f"replicate to {self.channels} channels, NCHW float32",
        ]
        return steps


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Display-ready float pixels in [0, 1] (or uint8) -> uint8 gray."""
    if pixels.dtype == np.uint8:
        return pixels
    return np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)


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


def display_gray(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """The full-size uint8 image before resizing: 8-bit gray, equalised when the spec says so.

    The classifier and the segmenter share it when their specs agree on ``equalize``
    (equalising a large film is the costly full-size step).
    """
    gray = to_uint8(pixels)
    return equalize_hist(gray) if spec.equalize else gray


def prepare_gray(pixels: np.ndarray, spec: PreprocessSpec, size: tuple[int, int],
                 gray8: np.ndarray | None = None) -> np.ndarray:
    """Display pixels -> float32 (H, W) in [0, 1] at ``size``: the per-image part.

    Training caches this result and applies augmentation to it.

    Args:
        gray8: :func:`display_gray` of these pixels under a spec with the same ``equalize``, if
            already computed (it is used instead of ``pixels``).
    """
    return minmax(resize(display_gray(pixels, spec) if gray8 is None else gray8, size))


def to_batch(gray: np.ndarray, channels: int) -> np.ndarray:
    """float32 (H, W) -> contiguous float32 (1, C, H, W)."""
    return np.ascontiguousarray(np.broadcast_to(gray, (1, channels) + gray.shape), dtype=np.float32)


def preprocess(pixels: np.ndarray, spec: PreprocessSpec, full_resolution: bool = False,
               gray8: np.ndarray | None = None) -> np.ndarray:
    """Display-ready pixels (float [0, 1] or uint8, (H, W)) -> network input (1, C, H, W).

    Args:
        pixels: XRay.pixels, or a uint8 gray image.
        spec: the bundle's preprocessing.
        full_resolution: feed the image near its own size instead of input_size.
        gray8: the already computed :func:`display_gray` (see :func:`prepare_gray`).

    Returns:
        float32 array (1, spec.channels, H, W), values in [0, 1].
    """
    size = target_size(pixels.shape[:2], spec, full_resolution)
    return to_batch(prepare_gray(pixels, spec, size, gray8), spec.channels)

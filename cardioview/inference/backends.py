"""Inference backends behind one small interface.

A backend runs the bundle's network on a preprocessed batch:
``run(batch (N, 3, H, W) float32) -> (probability (N,), attention (N, h, w))``.

- ``OnnxBackend``: ONNX Runtime, CUDA provider when present, else CPU. Needs no torch,
  so the clinical bundle ships without it.
- ``TorchBackend``: the safetensors weights in torch, on CUDA, MPS or CPU
  (lives in ``torch_backend.py``; imported only when chosen).

``open_backend(bundle, "auto")`` prefers ONNX Runtime (fastest on CPU here, see
benchmarks/engine_benchmark.py) and torch on a GPU when ONNX Runtime has no GPU provider;
torch is imported to ask for a GPU only where an NVIDIA driver is present.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path
from typing import Protocol

import numpy as np

from cardioview.errors import BackendUnavailableError, WeightsError
from cardioview.inference.onnx_session import BACKENDS, DEVICES, open_onnx_session
from cardioview.model.bundle import ONNX, SAFETENSORS, WeightsBundle
from cardioview.model.onnx_metadata import check_temperature


class Backend(Protocol):
    name: str
    device: str

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, H, W) float32 -> (probability (N,), attention (N, h, w)), float32."""
        ...


class OnnxBackend:
    """ONNX Runtime session on the bundle's hash-verified model.onnx."""

    name = "onnxruntime"

    def __init__(self, bundle: WeightsBundle, device: str = "auto"):
        path = bundle.verified_path(ONNX)
        check_temperature(path, bundle.temperature)  # the torch backend applies the manifest's T
        self.session, self.device = open_onnx_session(path, device)

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probability, attention = self.session.run(None, {"image": batch})
        return probability[:, 0].astype(np.float32), attention[:, 0].astype(np.float32)


def nvidia_driver_present() -> bool:
    """A cheap look for an NVIDIA GPU driver, without importing torch (issue 18).

    Linux: the driver's /proc entry or /dev/nvidia* device nodes, else the driver's libcuda
    (WSL2 has only the library); Windows: nvcuda.dll; macOS has no CUDA. Importing torch just
    to learn there is no GPU costs about half a gigabyte of memory for the whole session.
    """
    if sys.platform == "darwin":
        return False
    if sys.platform.startswith("linux"):
        if Path("/proc/driver/nvidia/version").exists() or any(Path("/dev").glob("nvidia[0-9]*")):
            return True
        names = ("libcuda.so.1",)
    else:
        names = ("nvcuda.dll",)
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def torch_cuda_available() -> bool:
    """True when torch is installed and sees a CUDA GPU (imports torch, so only where a driver is present)."""
    if not nvidia_driver_present():
        return False
    try:  # the torch backend is the one module here that imports torch
        from cardioview.inference.torch_backend import cuda_available
    except ImportError:
        return False
    return cuda_available()


def open_backend(bundle: WeightsBundle, backend: str = "auto", device: str = "auto") -> Backend:
    """Open the requested backend on the requested device.

    Args:
        bundle: a loaded weights bundle.
        backend: "auto", "onnx" or "torch".
        device: "auto", "cpu", "cuda" or "mps".

    Raises:
        BackendUnavailableError: the choice cannot run here.
        WeightsError: the files the backend needs are missing or fail their hash.
    """
    if backend not in BACKENDS:
        raise BackendUnavailableError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if device not in DEVICES:
        raise BackendUnavailableError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    if backend == "auto":
        backend = _choose_auto(bundle, device)
    if backend == "onnx":
        return OnnxBackend(bundle, device)
    try:
        from cardioview.inference.torch_backend import TorchBackend
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the torch backend is not installed here ({exc}); use --backend onnx, or pip install -e '.[train]'"
        ) from exc
    return TorchBackend(bundle, device)


def _choose_auto(bundle: WeightsBundle, device: str) -> str:
    has_onnx, has_torch_weights = bundle.has(ONNX), bundle.has(SAFETENSORS)
    if device == "mps":
        return "torch"
    onnx_gpu = False
    if has_onnx:
        try:
            import onnxruntime as ort

            onnx_gpu = "CUDAExecutionProvider" in ort.get_available_providers()
        except ImportError:
            has_onnx = False
    wants_gpu = device in ("auto", "cuda")
    if wants_gpu and not onnx_gpu and has_torch_weights and torch_cuda_available():
        return "torch"
    if has_onnx:
        return "onnx"
    if has_torch_weights:
        return "torch"
    raise WeightsError(f"{bundle.root.name}: the bundle has neither {ONNX} nor {SAFETENSORS}")

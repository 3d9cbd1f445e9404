"""The torch backend: the bundle's safetensors weights on CUDA, MPS or CPU."""

from __future__ import annotations

import numpy as np
import torch

from cardioview.errors import BackendUnavailableError
from cardioview.model.bundle import ONNX, WeightsBundle
from cardioview.model.checkpoint import load_network
from cardioview.model.network import ProbabilityModel
from cardioview.model.onnx_metadata import check_temperature


def cuda_available() -> bool:
    """True when torch sees a CUDA GPU."""
    return bool(torch.cuda.is_available())


def pick_device(device: str) -> torch.device:
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailableError("torch sees no CUDA GPU here: use --device cpu")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise BackendUnavailableError("torch sees no Apple MPS device here: use --device cpu")
    return torch.device(device)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS: Apple GPU"
    return "CPU"


class TorchBackend:
    """Runs ProbabilityModel (network + calibration temperature) in fp32, eval mode."""

    name = "torch"

    def __init__(self, bundle: WeightsBundle, device: str = "auto"):
        if bundle.has(ONNX):  # the ONNX backend uses the T baked into model.onnx: both must agree
            check_temperature(bundle.verified_path(ONNX), bundle.temperature)
        self._device = pick_device(device)
        self.device = describe_device(self._device)
        net = load_network(bundle)
        self.model = ProbabilityModel(net, bundle.temperature).to(self._device).eval()

    @torch.inference_mode()
    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = torch.from_numpy(batch).to(self._device)
        probability, attention = self.model(x)
        return (probability[:, 0].float().cpu().numpy(), attention[:, 0].float().cpu().numpy())

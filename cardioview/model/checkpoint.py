"""Network tensors on disk: safetensors (no pickle) in, safetensors out.

Also the one door for foreign torch checkpoints: ``import_torch_checkpoint``
loads ``.pt``/``.pth`` with ``weights_only=True`` so no code can run.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save

from cardioview.atomic import atomic_write_bytes
from cardioview.errors import WeightsError
from cardioview.model.bundle import SAFETENSORS, WeightsBundle
from cardioview.model.network import CardioXAttentionNet, NetworkConfig, build_network


def state_tensors(net: torch.nn.Module, half: bool = False) -> dict[str, torch.Tensor]:
    """Parameters and buffers as contiguous CPU tensors; ``half`` stores floats as fp16."""
    out = {}
    for key, value in net.state_dict().items():
        t = value.detach().cpu().contiguous()
        if half and t.is_floating_point():
            t = t.half()
        out[key] = t
    return out


def save_tensors(net: torch.nn.Module, path: Path, half: bool = False, metadata: dict[str, str] | None = None) -> Path:
    # Serialised in memory and written by the shared atomic writer: safetensors'
    # save_file would leave the file owner-only (0600).
    return atomic_write_bytes(Path(path), save(state_tensors(net, half), metadata=metadata), overwrite=True)


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file; a corrupt or missing file is a WeightsError naming it."""
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises several types for corrupt files
        raise WeightsError(f"{Path(path).name}: unreadable safetensors file ({exc})") from exc


def load_state_into(net: torch.nn.Module, tensors: dict[str, torch.Tensor], name: str) -> torch.nn.Module:
    """Load ``tensors`` into ``net`` after checking names and shapes, cast to the network's dtypes.

    Args:
        name: what the tensors came from, for the error message.
    """
    reference = net.state_dict()
    missing = sorted(set(reference) - set(tensors))
    unexpected = sorted(set(tensors) - set(reference))
    if missing or unexpected:
        raise WeightsError(
            f"{name}: tensors do not match the architecture "
            f"({len(missing)} missing, e.g. {missing[:2]}; {len(unexpected)} unexpected, e.g. {unexpected[:2]})"
        )
    cast = {}
    for key, t in tensors.items():
        if t.shape != reference[key].shape:
            raise WeightsError(f"{name}: {key} has shape {tuple(t.shape)}, expected {tuple(reference[key].shape)}")
        cast[key] = t.to(reference[key].dtype)
    net.load_state_dict(cast)
    return net


def load_tensors_into(net: torch.nn.Module, path: Path) -> torch.nn.Module:
    """Load safetensors into ``net`` (fp16 files are cast to the network's dtypes)."""
    return load_state_into(net, read_tensors(path), Path(path).name)


def load_network(bundle: WeightsBundle) -> CardioXAttentionNet:
    """Build the bundle's architecture and load its hash-verified tensors (eval mode)."""
    config = NetworkConfig.from_dict(bundle.architecture)
    net = build_network(config, init=False)
    load_tensors_into(net, bundle.verified_path(SAFETENSORS))
    return net.eval()


def import_torch_checkpoint(path: Path, config: NetworkConfig) -> CardioXAttentionNet:
    """Load a foreign ``.pt`` state dict safely (``weights_only=True``: no pickle code runs).

    Accepts a bare state dict or a dict with a "state_dict"/"model" entry.
    """
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"{Path(path).name}: not a safe torch checkpoint ({exc})") from exc
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict):
        raise WeightsError(f"{Path(path).name}: expected a state dict")
    net = build_network(config, init=False)
    try:
        net.load_state_dict(obj)
    except RuntimeError as exc:
        raise WeightsError(f"{Path(path).name}: does not match {config.name} ({str(exc).splitlines()[0]})") from exc
    return net.eval()

"""Write a complete weights bundle from a trained network."""

from __future__ import annotations

from pathlib import Path

from cardioview.model.bundle import ONNX, SAFETENSORS, write_manifest
from cardioview.model.checkpoint import load_tensors_into, save_tensors
from cardioview.model.network import CardioXAttentionNet, build_network
from cardioview.model.onnx_export import export_onnx


def write_bundle(net: CardioXAttentionNet, root: Path, manifest: dict, half: bool = True) -> Path:
    """model.safetensors (fp16 when ``half``), model.onnx and manifest.json into ``root``.

    The ONNX file is exported from the tensors exactly as stored, so the torch and
    ONNX Runtime backends compute with the same (fp16-rounded) values.

    Args:
        net: the trained network (any device, any mode).
        root: the bundle folder (created).
        manifest: name, architecture, preprocessing, threshold, calibration, ... ;
            format and file hashes are filled in here.
        half: store tensors in fp16 (half the size, parity kept as above).

    Returns:
        Path to manifest.json.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tensors_path = save_tensors(net, root / SAFETENSORS, half=half)
    stored = load_tensors_into(build_network(net.config, init=False), tensors_path).eval()
    temperature = float(manifest.get("calibration", {}).get("temperature", 1.0))
    export_onnx(stored, root / ONNX, temperature=temperature)
    manifest = dict(manifest)
    manifest.setdefault("architecture", net.config.to_dict())
    manifest["architecture"] = {**manifest["architecture"], "display_name": net.config.name}
    return write_manifest(root, manifest)

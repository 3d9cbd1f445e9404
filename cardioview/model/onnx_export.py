"""ONNX export with a fixed contract other tools rely on.

Input ``image``: float32 (N, 3, H, W), dynamic N, H, W.
Outputs ``probability`` (N, 1) = sigmoid(logit / T) and ``attention`` (N, 1, h, w), both in [0, 1].
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from cardioview.model.network import CardioXAttentionNet, ProbabilityModel

INPUT_NAME = "image"
OUTPUT_NAMES = ("probability", "attention")
OPSET = 17


def export_onnx(net: CardioXAttentionNet, path: Path, temperature: float = 1.0, example_size: int = 224) -> Path:
    """Export ``net`` (eval mode, fp32, CPU) to ``path`` atomically.

    Args:
        net: the trained network.
        path: destination .onnx file.
        temperature: calibration temperature baked into ``probability``.
        example_size: side of the example input used for tracing.
    """
    path = Path(path)
    model = ProbabilityModel(net.float().cpu().eval(), temperature).eval()
    example = torch.rand(1, 3, example_size, example_size)
    tmp = path.with_name(f".{path.name}.tmp")
    axes = {
        INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
        "probability": {0: "batch"},
        "attention": {0: "batch", 2: "attention_height", 3: "attention_width"},
    }
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python scalars are expected
        torch.onnx.export(
            model,
            (example,),
            str(tmp),
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    _record_temperature(tmp, temperature)
    tmp.replace(path)
    return path


def _record_temperature(path: Path, temperature: float) -> None:
    """Write T into the model's metadata, so both backends can be checked to use the same one."""
    import onnx

    from cardioview.model.onnx_metadata import TEMPERATURE_KEY

    model = onnx.load(str(path))
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = TEMPERATURE_KEY, repr(float(temperature))
    onnx.save(model, str(path))

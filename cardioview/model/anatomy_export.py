"""Export the segmenter to ONNX with fp16 weights (cast to fp32 at load), so the file stays ~4 MB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn


class _WithSigmoid(nn.Module):
    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, image):
        return torch.sigmoid(self.net(image))


def export_onnx(model: nn.Module, path: Path, size: int) -> Path:
    """model (fp32, eval) -> ONNX at ``path``: input ``image`` (N,1,H,W), output ``masks`` (N,3,H,W)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = _WithSigmoid(model.float().eval())
    tmp = Path(str(path) + ".fp32.onnx")
    torch.onnx.export(
        model,
        torch.zeros(1, 1, size, size),
        str(tmp),
        input_names=["image"],
        output_names=["masks"],
        dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "masks": {0: "n", 2: "h", 3: "w"}},
        opset_version=17,
        dynamo=False,
    )
    m = onnx.load(str(tmp))
    tmp.unlink()
    g = m.graph
    casts = []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or init.name.startswith("_"):
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < 16:  # scalars and shapes stay fp32
            continue
        half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
        g.initializer.remove(init)
        g.initializer.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
    for node in reversed(casts):
        g.node.insert(0, node)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return path

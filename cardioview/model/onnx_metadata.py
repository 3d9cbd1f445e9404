"""The calibration temperature baked into model.onnx, read back so both backends use the same one.

``export_onnx`` bakes T into the graph (probability = sigmoid(logit / T)) and records it in the
model's metadata as ``cardioview.temperature``. The torch backend applies the manifest's T
itself, so a manifest whose T differs from the ONNX file's would make the two backends
disagree: ``check_temperature`` refuses such a bundle. Reads the protobuf's top-level
fields directly (no onnx package, no session), so it costs one pass over the file.
An ONNX file exported before the key existed carries no record and cannot be checked;
for a signed bundle the signature vouches that the bundle writer baked the manifest's T.
"""

from __future__ import annotations

import math
from pathlib import Path

from cardioview.errors import WeightsError

TEMPERATURE_KEY = "cardioview.temperature"
_METADATA_PROPS = 14  # ModelProto.metadata_props (repeated StringStringEntryProto)


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data: memoryview):
    """(field number, wire type, value) of one protobuf message's fields (lengths as memoryviews)."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(data):
            raise ValueError("truncated field")
        yield number, wire, value


def onnx_metadata(path: Path) -> dict[str, str]:
    """The ONNX model's metadata_props as a dict (empty when it has none or the file is not ONNX)."""
    data = memoryview(Path(path).read_bytes())
    props: dict[str, str] = {}
    try:
        for number, wire, value in _fields(data):
            if number == _METADATA_PROPS and wire == 2:
                entry = {n: bytes(v).decode("utf-8", "replace") for n, w, v in _fields(value) if w == 2}
                props[entry.get(1, "")] = entry.get(2, "")
    except ValueError:
        return {}
    return props


def check_temperature(onnx_path: Path, manifest_temperature: float) -> None:
    """Refuse a bundle whose manifest temperature differs from the one baked into its ONNX file.

    Raises:
        WeightsError: the two differ (the backends would give different probabilities).
    """
    recorded = onnx_metadata(onnx_path).get(TEMPERATURE_KEY)
    if recorded is None:
        return
    try:
        baked = float(recorded)
    except ValueError:
        raise WeightsError(f"{onnx_path.name}: unreadable {TEMPERATURE_KEY} {recorded!r}") from None
    if not math.isclose(baked, manifest_temperature, rel_tol=1e-6, abs_tol=1e-9):
        raise WeightsError(
            f"the manifest's calibration temperature {manifest_temperature:g} differs from the "
            f"{baked:g} baked into {onnx_path.name}: the ONNX and torch backends would disagree; "
            "refusing to load these weights (rebuild or re-export the bundle)"
        )

"""The weights-bundle manifest schema: every field the application acts on, with its type and range.

``validate_manifest(manifest)`` is called on every load; the first violation is raised
as one WeightsError naming the field, so a hand-edited threshold, temperature, input
size or file list never reaches inference (the CLI turns it into exit 2).

Schema versions:
    1  manifests written before the schema was versioned (no ``schema_version``): the
       same rules apply, and such a bundle cannot carry a signature.
    2  ``schema_version: 2``; may carry ``signature`` (see signing.py).

Fields the application does not act on (training log, evaluation tables, card notes)
are kept as they are; those it shows (operating point, attention figures) are checked.
"""

from __future__ import annotations

import math
import re

from cardioview.errors import WeightsError

FORMAT = "cardioview-bundle/1"
SCHEMA_VERSION = 2
SCHEMA_VERSIONS = (1, 2)
INTENDED_USES = ("demo", "research", "clinical")
BUNDLE_FILES = ("model.safetensors", "model.onnx")
HEADS = ("amm", "gap")
THRESHOLD_RANGE = (0.0, 1.0)  # exclusive: 0 calls every film positive, 1 none
TEMPERATURE_RANGE = (0.05, 20.0)  # inclusive; outside it calibration has failed or was edited
INPUT_SIZE_RANGE = (32, 1024)  # inclusive; DenseNet-121 needs >= 32 px, 1024 is the full-resolution cap
PREPROCESSING_KEYS = {"input_size", "equalize", "channels", "steps", "version", "clahe_clip", "clahe_tiles"}
#: preprocessing.version: 1 = equalise then resize, 2 = the NIH thumbnail rendering (inference/preprocess.py)
PREPROCESSING_VERSIONS = (1, 2)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class _Fail(Exception):
    pass


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Fail(f"{field} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise _Fail(f"{field} must be finite, got {value!r}")
    return float(value)


def _integer(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Fail(f"{field} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise _Fail(f"{field} must be within {low}..{high}, got {value}")
    return value


def _dict(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise _Fail(f"{field} must be an object, got {type(value).__name__}")
    return value


def _text(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Fail(f"{field} must be a non-empty text, got {value!r}")
    return value


def _rate(value, field: str) -> float:
    v = _number(value, field)
    if not 0.0 <= v <= 1.0:
        raise _Fail(f"{field} must be within 0..1, got {v}")
    return v


def validate_manifest(manifest, where: str = "manifest.json") -> dict:
    """Check ``manifest`` against the schema.

    Args:
        manifest: the parsed manifest.json (anything JSON can produce).
        where: names the manifest in the error.

    Returns:
        ``manifest`` itself when valid.

    Raises:
        WeightsError: one message naming the first field at fault.
    """
    try:
        _check(manifest)
    except _Fail as exc:
        raise WeightsError(f"{where}: invalid manifest: {exc}") from None
    return manifest


def _check(m) -> None:
    _dict(m, "the manifest")
    if m.get("format") != FORMAT:
        raise _Fail(f"unknown bundle format {m.get('format')!r}, expected {FORMAT}")
    version = m.get("schema_version", 1)
    if isinstance(version, bool) or version not in SCHEMA_VERSIONS:
        raise _Fail(f"unknown schema_version {version!r} (this application reads {SCHEMA_VERSIONS})")
    if version < 2 and "signature" in m:
        raise _Fail("a signature needs schema_version 2")
    for key in ("name", "architecture", "preprocessing", "files", "threshold"):
        if key not in m:
            raise _Fail(f"{key!r} is missing")
    _text(m["name"], "name")
    _architecture(_dict(m["architecture"], "architecture"))
    _preprocessing(_dict(m["preprocessing"], "preprocessing"))
    threshold = _number(m["threshold"], "threshold")
    if not THRESHOLD_RANGE[0] < threshold < THRESHOLD_RANGE[1]:
        raise _Fail(f"threshold must be strictly between 0 and 1, got {threshold}")
    calibration = _dict(m.get("calibration", {}), "calibration")
    if "temperature" in calibration:
        t = _number(calibration["temperature"], "calibration.temperature")
        low, high = TEMPERATURE_RANGE
        if not low <= t <= high:
            raise _Fail(f"calibration.temperature must be within {low}..{high}, got {t}")
    if "recalibration" in calibration:
        _recalibration(_dict(calibration["recalibration"], "calibration.recalibration"))
    for view, note in _dict(m.get("view_notes", {}), "view_notes").items():
        _text(note, f"view_notes[{view!r}]")
    for view, op in _dict(m.get("view_operating_points", {}), "view_operating_points").items():
        for key in ("sensitivity", "specificity"):
            _rate(_dict(op, f"view_operating_points[{view!r}]").get(key), f"view_operating_points[{view!r}].{key}")
    use = m.get("intended_use", "research")
    if use not in INTENDED_USES:
        raise _Fail(f"intended_use must be one of {', '.join(INTENDED_USES)}, got {use!r}")
    if "intended_use_text" in m and not isinstance(m["intended_use_text"], str):
        raise _Fail("intended_use_text must be a text")
    _files(m["files"])
    if "model_sha256" in m and not (isinstance(m["model_sha256"], str) and _SHA256.fullmatch(m["model_sha256"])):
        raise _Fail("model_sha256 must be 64 lower-case hex digits")
    op = m.get("validation_operating_point")
    if op is not None:
        for key, value in _dict(op, "validation_operating_point").items():
            if key in ("sensitivity", "specificity", "accuracy"):
                _rate(value, f"validation_operating_point.{key}")
    attention = _dict(_dict(m.get("evaluation", {}), "evaluation").get("attention", {}), "evaluation.attention")
    if attention.get("images"):
        _integer(attention["images"], "evaluation.attention.images", 1, 10**9)
        for key in ("pointing_rate", "faithfulness_rate"):
            _rate(attention.get(key), f"evaluation.attention.{key}")
    if "signature" in m:
        sig = _dict(m["signature"], "signature")
        for key in ("algorithm", "key_id", "public_key", "value"):
            if not isinstance(sig.get(key), str):
                raise _Fail(f"signature.{key} must be a text")


def _architecture(a: dict) -> None:
    _text(a.get("backbone"), "architecture.backbone")
    if a.get("head", "amm") not in HEADS:
        raise _Fail(f"architecture.head must be one of {', '.join(HEADS)}, got {a.get('head')!r}")
    if "dropout" in a:
        _rate(a["dropout"], "architecture.dropout")
    if "attention_bias" in a:
        _number(a["attention_bias"], "architecture.attention_bias")


def _preprocessing(p: dict) -> None:
    unknown = sorted(set(p) - PREPROCESSING_KEYS)
    if unknown:
        raise _Fail(
            f"unknown preprocessing key(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(PREPROCESSING_KEYS))})"
        )
    if "input_size" not in p:
        raise _Fail("preprocessing.input_size is missing")
    _integer(p["input_size"], "preprocessing.input_size", *INPUT_SIZE_RANGE)
    if "equalize" not in p:
        raise _Fail("preprocessing.equalize is missing")
    if not isinstance(p["equalize"], bool):
        raise _Fail(f"preprocessing.equalize must be true or false (not a text or number), got {p['equalize']!r}")
    if "channels" in p:
        _integer(p["channels"], "preprocessing.channels", 3, 3)  # the ONNX contract takes 3 channels
    if "version" in p and (isinstance(p["version"], bool) or p["version"] not in PREPROCESSING_VERSIONS):
        raise _Fail(f"unknown preprocessing.version {p['version']!r} (this application reads {PREPROCESSING_VERSIONS})")
    if "clahe_clip" in p and not 0.0 < _number(p["clahe_clip"], "preprocessing.clahe_clip") <= 40.0:
        raise _Fail(f"preprocessing.clahe_clip must be within (0, 40], got {p['clahe_clip']!r}")
    if "clahe_tiles" in p:
        _integer(p["clahe_tiles"], "preprocessing.clahe_tiles", 1, 64)
    if "steps" in p and not (isinstance(p["steps"], list) and all(isinstance(s, str) for s in p["steps"])):
        raise _Fail("preprocessing.steps must be a list of texts")


def _recalibration(r: dict) -> None:
    """calibration.recalibration: the map applied after the temperature (inference/calibration_map.py)."""
    method = r.get("method")
    numbers = {"platt": ("slope", "bias"), "beta": ("a", "b", "c"), "isotonic": ()}
    if method not in numbers:
        raise _Fail(f"calibration.recalibration.method must be one of {', '.join(numbers)}, got {method!r}")
    for key in numbers[method]:
        _number(r.get(key), f"calibration.recalibration.{key}")
    if method == "isotonic":
        zs, ps = r.get("knots_z"), r.get("knots_p")
        if not (isinstance(zs, list) and isinstance(ps, list) and 0 < len(zs) == len(ps)):
            raise _Fail("calibration.recalibration needs knots_z and knots_p of equal, non-zero length")
        zs = [_number(v, "calibration.recalibration.knots_z") for v in zs]
        ps = [_rate(v, "calibration.recalibration.knots_p") for v in ps]
        if any(b < a for a, b in zip(zs, zs[1:])) or any(b < a for a, b in zip(ps, ps[1:])):
            raise _Fail("calibration.recalibration knots must be non-decreasing")


def _files(files) -> None:
    _dict(files, "files")
    if not files:
        raise _Fail(f"files lists nothing (expected {' and/or '.join(BUNDLE_FILES)})")
    for name, entry in files.items():
        if name not in BUNDLE_FILES:  # also keeps paths such as ../x out of the bundle
            raise _Fail(f"files: unexpected entry {name!r} (a bundle holds {', '.join(BUNDLE_FILES)})")
        _dict(entry, f"files[{name!r}]")
        digest = entry.get("sha256")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise _Fail(f"files[{name!r}].sha256 must be 64 lower-case hex digits, got {digest!r}")
        if "bytes" in entry:
            _integer(entry["bytes"], f"files[{name!r}].bytes", 0, 1 << 40)

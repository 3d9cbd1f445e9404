"""Hand-edited manifests of the real shipped bundle: each edit gives one clear error and `predict` exits 2."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from cardioview.cli import main
from cardioview.errors import WeightsError
from cardioview.model.bundle import MANIFEST, ONNX, SAFETENSORS, load_bundle, sha256_file
from cardioview.model.manifest_schema import validate_manifest


def _copy(shipped: Path, dest: Path, real_onnx: bool = False) -> Path:
    """The shipped bundle's manifest, with its model files linked (or, for byte edits, copied)."""
    dest.mkdir()
    shutil.copy(shipped / MANIFEST, dest / MANIFEST)
    for name in (SAFETENSORS, ONNX):
        if (shipped / name).is_file():
            if real_onnx and name == ONNX:
                shutil.copy(shipped / name, dest / name)
            else:
                os.symlink(shipped / name, dest / name)
    return dest


def _edit(bundle: Path, change) -> Path:
    path = bundle / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest = change(manifest) or manifest
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return bundle


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(m):
        target = m
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return change


def _drop(*keys):
    def change(m):
        target = m
        for k in keys[:-1]:
            target = target[k]
        del target[keys[-1]]

    return change


def _unsigned(change):
    def both(m):
        m.pop("signature", None)
        return change(m) or m

    return both


CASES = {
    "threshold 0": (_set("threshold", 0.0), "threshold must be strictly between 0 and 1"),
    "threshold 0.99 (signed)": (_set("threshold", 0.99), "signature by trusted key"),
    "threshold NaN": (_set("threshold", float("nan")), "threshold must be finite"),
    "threshold text": (_set("threshold", "abc"), "threshold must be a number"),
    "clinical, unsigned": (_unsigned(_set("intended_use", "clinical")), "claims clinical intended use"),
    "clinical, signature kept": (_set("intended_use", "clinical"), "signature by trusted key"),
    "temperature 100": (_set("calibration", "temperature", 100), "calibration.temperature must be within"),
    "equalize text": (_set("preprocessing", "equalize", "false"), "equalize must be true or false"),
    "list manifest": (lambda m: [m], "the manifest must be an object"),
    "list files": (lambda m: m.update(files=list(m["files"].values())), "files must be an object"),
    "file entry list": (_set("files", ONNX, ["abc"]), "files['model.onnx'] must be an object"),
    "file without sha256": (_drop("files", ONNX, "sha256"), "files['model.onnx'].sha256 must be"),
    "file outside the bundle": (_set("files", "../../etc/passwd", {"sha256": "0" * 64}), "unexpected entry"),
    "no input_size": (_drop("preprocessing", "input_size"), "preprocessing.input_size is missing"),
    "input_size 0": (_set("preprocessing", "input_size", 0), "input_size must be within 32..1024"),
    "input_size 30000": (_set("preprocessing", "input_size", 30000), "input_size must be within 32..1024"),
    "unknown preprocessing key": (_set("preprocessing", "invert", True), "unknown preprocessing key"),
    "schema from the future": (_set("schema_version", 99), "unknown schema_version"),
    "preprocessing from the future": (_unsigned(_set("preprocessing", "version", 3)), "unknown preprocessing.version"),
    "CLAHE tiles 0": (_unsigned(_set("preprocessing", "clahe_tiles", 0)), "clahe_tiles must be within 1..64"),
    "CLAHE clip text": (_unsigned(_set("preprocessing", "clahe_clip", "1")), "clahe_clip must be a number"),
    "recalibration unknown": (
        _unsigned(_set("calibration", "recalibration", {"method": "spline"})),
        "calibration.recalibration.method must be one of",
    ),
    "view note list": (_unsigned(_set("view_notes", "AP", ["x"])), "view_notes['AP'] must be a non-empty text"),
    "recalibration edited (signed)": (_set("calibration", "recalibration", "bias", 0.0), "signature by trusted key"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_edit_gives_one_clear_error_and_exit_2(case, shipped_bundle, tmp_path, capsys):
    change, message = CASES[case]
    bundle = _edit(_copy(shipped_bundle, tmp_path / "bundle"), change)
    with pytest.raises(WeightsError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_bundle(bundle)
    out = tmp_path / "out"
    code = main(["predict", get_testdata_file("RG1_UNCR.dcm"), "--out", str(out), "--weights", str(bundle)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1  # one clear line
    assert not (out / "results.csv").exists()


def test_flipped_onnx_byte_with_its_hash_updated_fails_the_signature(shipped_bundle, tmp_path, capsys):
    bundle = _copy(shipped_bundle, tmp_path / "bundle", real_onnx=True)
    data = bytearray((bundle / ONNX).read_bytes())
    data[len(data) // 2] ^= 0x01
    (bundle / ONNX).write_bytes(bytes(data))
    _edit(bundle, _set("files", ONNX, "sha256", sha256_file(bundle / ONNX)))
    with pytest.raises(WeightsError, match="does not verify"):
        load_bundle(bundle)
    assert (
        main(["predict", get_testdata_file("RG1_UNCR.dcm"), "--out", str(tmp_path / "o"), "--weights", str(bundle)])
        == 2
    )
    assert "does not verify" in capsys.readouterr().err


def test_the_shipped_bundle_is_signed_and_valid(shipped_bundle):
    bundle = load_bundle(shipped_bundle)
    assert bundle.signed and bundle.manifest["schema_version"] == 2
    assert bundle.intended_use == "research" and "signed weights" in bundle.trust.note


def test_an_unsigned_research_copy_loads_as_unsigned_research_weights(shipped_bundle, tmp_path):
    from cardioview.imaging import load
    from cardioview.inference.predictor import Predictor
    from cardioview.render.report_content import not_for_diagnostic_use, report_lines

    bundle = load_bundle(_edit(_copy(shipped_bundle, tmp_path / "bundle"), _unsigned(lambda m: None)))
    assert not bundle.signed and bundle.intended_use == "unsigned research weights"
    xray = load(get_testdata_file("RG1_UNCR.dcm"))
    prediction = Predictor(bundle, backend="onnx").predict(xray)
    assert prediction.intended_use == "unsigned research weights" and not_for_diagnostic_use(prediction)
    assert any("unsigned research weights" in line.text for line in report_lines(xray, prediction))


def test_validation_accepts_what_the_bundle_writer_writes(tiny_bundle):
    manifest = json.loads((tiny_bundle / MANIFEST).read_text(encoding="utf-8"))
    assert validate_manifest(manifest) is manifest and manifest["schema_version"] == 2


def test_both_backends_refuse_a_temperature_that_differs_from_the_onnx_one(tmp_path):
    import onnxruntime as ort

    from cardioview.inference.backends import open_backend
    from cardioview.model.onnx_metadata import TEMPERATURE_KEY, onnx_metadata
    from tests.conftest import build_tiny_bundle

    root = build_tiny_bundle(tmp_path / "t", temperature=2.0)
    assert float(onnx_metadata(root / ONNX)[TEMPERATURE_KEY]) == 2.0
    session_meta = ort.InferenceSession(str(root / ONNX)).get_modelmeta().custom_metadata_map
    assert session_meta[TEMPERATURE_KEY] == onnx_metadata(root / ONNX)[TEMPERATURE_KEY]
    for backend in ("onnx", "torch"):
        assert open_backend(load_bundle(root), backend, "cpu").run is not None
    _edit(root, _set("calibration", "temperature", 1.5))  # within range: an unsigned bundle may be edited
    for backend in ("onnx", "torch"):
        with pytest.raises(WeightsError, match="backends would disagree"):
            open_backend(load_bundle(root), backend, "cpu")

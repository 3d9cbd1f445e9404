"""Ed25519 signatures: sign-bundle, trusted keys only, clinical use only when signed, edits after signing refused."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

from cardioview.cli import main
from cardioview.errors import WeightsError
from cardioview.model import trusted_keys
from cardioview.model.bundle import MANIFEST, ONNX, load_bundle, sign_bundle, write_manifest
from cardioview.model.signing import canonical_bytes, generate_private_key_pem, key_id, load_private_key


@pytest.fixture()
def key(tmp_path):
    pem, public = generate_private_key_pem()
    path = tmp_path / "test_key.pem"
    path.write_bytes(pem)
    return path, key_id(base64.b64decode(public)), public


@pytest.fixture()
def trusted_key(key, monkeypatch):
    path, kid, public = key
    monkeypatch.setitem(trusted_keys.TRUSTED_KEYS, kid, public)  # as if released with this key
    return path, kid


@pytest.fixture()
def bundle(tiny_bundle, tmp_path):
    return shutil.copytree(tiny_bundle, tmp_path / "bundle")


def _manifest(bundle):
    return json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))


def test_sign_bundle_command_signs_with_a_trusted_key(bundle, trusted_key, capsys):
    path, kid = trusted_key
    assert not load_bundle(bundle).signed
    assert load_bundle(bundle).intended_use == "unsigned research weights"
    assert main(["sign-bundle", str(bundle), "--key", str(path)]) == 0
    signed = load_bundle(bundle)
    assert signed.signed and signed.trust.key_id == kid and signed.intended_use == "research"
    assert _manifest(bundle)["signature"]["key_id"] == kid
    assert "signed weights" in capsys.readouterr().err


def test_an_untrusted_key_is_refused_and_its_signature_counts_for_nothing(bundle, key, capsys):
    path, kid, _ = key
    assert main(["sign-bundle", str(bundle), "--key", str(path)]) == 2
    assert "not trusted" in capsys.readouterr().err
    write_manifest(bundle, _manifest(bundle), load_private_key(path))  # signed anyway, outside the command
    loaded = load_bundle(bundle)
    assert not loaded.signed and kid in loaded.trust.note and loaded.intended_use == "unsigned research weights"


def test_clinical_use_needs_a_trusted_signature(bundle, trusted_key, tmp_path, capsys):
    path, _ = trusted_key
    manifest = _manifest(bundle)
    manifest["intended_use"] = "clinical"
    write_manifest(bundle, manifest)
    with pytest.raises(WeightsError, match="claims clinical intended use"):
        load_bundle(bundle)
    assert main(["predict", "--out", str(tmp_path / "o"), "--weights", str(bundle), "--no-report"]) == 2
    assert "claims clinical intended use" in capsys.readouterr().err
    write_manifest(bundle, manifest, load_private_key(path))
    assert load_bundle(bundle).intended_use == "clinical"


def test_edits_after_signing_are_refused(bundle, trusted_key):
    path, _ = trusted_key
    sign_bundle(bundle, load_private_key(path))
    manifest = _manifest(bundle)
    manifest["calibration"]["temperature"] = 2.0  # within range, but not what was signed
    (bundle / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(WeightsError, match="does not verify"):
        load_bundle(bundle)
    manifest["calibration"]["temperature"] = 1.0
    manifest["signature"]["value"] = base64.b64encode(b"\0" * 64).decode()
    (bundle / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(WeightsError, match="does not verify"):
        load_bundle(bundle)


def test_resigning_refuses_a_file_swapped_since_the_bundle_was_written(bundle, trusted_key):
    path, _ = trusted_key
    with open(bundle / ONNX, "ab") as f:
        f.write(b"\0")
    with pytest.raises(WeightsError, match="fails its hash check"):
        sign_bundle(bundle, load_private_key(path))
    assert "signature" not in _manifest(bundle)


def test_canonical_form_ignores_layout_and_the_signature(bundle):
    manifest = _manifest(bundle)
    shuffled = dict(reversed(list(manifest.items())))
    assert canonical_bytes(manifest) == canonical_bytes({**shuffled, "signature": {"value": "x"}})


def test_public_key_line_for_trusted_keys(key, capsys):
    path, kid, public = key
    assert main(["sign-bundle", "--public-key", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f'"{kid}": "{public}",'


def test_shipped_bundle_is_signed_by_a_key_the_application_trusts(shipped_bundle):
    bundle = load_bundle(shipped_bundle)
    assert bundle.signed and bundle.trust.key_id in trusted_keys.TRUSTED_KEYS

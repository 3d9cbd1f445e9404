"""Ed25519 signatures over a bundle's canonical manifest.

The manifest holds the sha256 of every bundle file, so one signature over the
manifest covers the tensors and the ONNX file too. The canonical form is the
manifest without its ``signature`` entry as compact, key-sorted UTF-8 JSON (NaN
refused). A signature is stored in the manifest as

    "signature": {"algorithm": "ed25519", "key_id": "<16 hex>", "public_key": "<base64 raw 32 bytes>",
                  "value": "<base64 64 bytes>"}

Only keys listed in trusted_keys.py count: a bundle signed by any other key is
treated like an unsigned one, and a bundle whose signature by a trusted key does
not verify (an edited manifest) is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cardioview.errors import WeightsError

ALGORITHM = "ed25519"
SIGNATURE = "signature"


def canonical_bytes(manifest: dict) -> bytes:
    """The bytes a signature covers: the manifest minus its signature, sorted and compact."""
    body = {k: v for k, v in manifest.items() if k != SIGNATURE}
    try:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
            "utf-8"
        )
    except ValueError as exc:
        raise WeightsError(f"the manifest cannot be signed or verified ({exc})") from exc


def key_id(public_raw: bytes) -> str:
    """Short, stable name of a public key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def public_raw_from_text(text: str) -> bytes:
    """A trusted key as written in trusted_keys.py (base64 of the raw 32 bytes)."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return raw


def load_private_key(path: str | Path):
    """Read an unencrypted or passphrase-free PEM (PKCS#8) Ed25519 private key.

    Raises:
        WeightsError: unreadable, not PEM, or not an Ed25519 key.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise WeightsError(f"{path}: cannot read the signing key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise WeightsError(f"{path}: not an Ed25519 private key")
    return key


def generate_private_key_pem() -> tuple[bytes, str]:
    """A new Ed25519 key: (PKCS#8 PEM of the private key, base64 of the raw public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem, base64.b64encode(_public_raw(key)).decode("ascii")


def public_key_id(private_key) -> str:
    """key_id of a private key's public half."""
    return key_id(_public_raw(private_key))


def public_key_line(private_key) -> str:
    """The trusted_keys.py line for a private key's public half."""
    raw = _public_raw(private_key)
    return f'    "{key_id(raw)}": "{base64.b64encode(raw).decode("ascii")}",'


def _public_raw(private_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_manifest(manifest: dict, private_key) -> dict:
    """A copy of ``manifest`` carrying a signature by ``private_key`` (schema_version set to 2)."""
    from cardioview.model.manifest_schema import SCHEMA_VERSION

    body = {k: v for k, v in manifest.items() if k != SIGNATURE}
    body["schema_version"] = SCHEMA_VERSION
    raw = _public_raw(private_key)
    value = private_key.sign(canonical_bytes(body))
    body[SIGNATURE] = {
        "algorithm": ALGORITHM,
        "key_id": key_id(raw),
        "public_key": base64.b64encode(raw).decode("ascii"),
        "value": base64.b64encode(value).decode("ascii"),
    }
    return body


@dataclass(frozen=True)
class Trust:
    """What a bundle's signature says.

    Attributes:
        signed: True only for a valid signature by a key the application trusts.
        key_id: the signing key's id (also for an untrusted key), "" when there is none.
        note: one line for viewers and reports.
    """

    signed: bool
    key_id: str
    note: str


UNSIGNED_NOTE = "unsigned research weights"


def verify_manifest(manifest: dict, trusted: dict[str, str] | None = None) -> Trust:
    """Check the manifest's signature against the trusted keys.

    Args:
        manifest: a schema-valid manifest.
        trusted: key_id -> base64 raw public key; default: trusted_keys.TRUSTED_KEYS.

    Raises:
        WeightsError: a trusted key's signature does not verify (the manifest was edited after signing).
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if trusted is None:
        from cardioview.model.trusted_keys import TRUSTED_KEYS as trusted
    sig = manifest.get(SIGNATURE)
    if sig is None:
        return Trust(False, "", UNSIGNED_NOTE)
    kid = sig["key_id"]
    if sig["algorithm"] != ALGORITHM:
        raise WeightsError(f"unknown signature algorithm {sig['algorithm']!r} (expected {ALGORITHM})")
    if kid not in trusted:
        return Trust(False, kid, f"{UNSIGNED_NOTE} (signed by key {kid}, which this application does not trust)")
    try:
        public = Ed25519PublicKey.from_public_bytes(public_raw_from_text(trusted[kid]))
        public.verify(base64.b64decode(sig["value"], validate=True), canonical_bytes(manifest))
    except (InvalidSignature, ValueError) as exc:
        raise WeightsError(
            f"the manifest's signature by trusted key {kid} does not verify: the manifest or a file hash in it "
            "was changed after signing; refusing to load these weights"
        ) from exc
    return Trust(True, kid, f"signed weights (key {kid})")

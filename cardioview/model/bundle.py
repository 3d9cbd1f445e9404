"""The weights bundle: a folder with a JSON manifest, tensors and the ONNX export.

    weights/<name>/manifest.json      architecture, preprocessing, threshold, calibration,
                                      training data, evaluation figures, intended use,
                                      sha256 of every file
    weights/<name>/model.safetensors  tensors (no pickle)
    weights/<name>/model.onnx         the inference contract for ONNX Runtime

Torch-free on purpose: the clinical bundle runs on ONNX Runtime alone and still
reads manifests and verifies hashes through this module.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cardioview.atomic import atomic_write_text
from cardioview.errors import WeightsError
from cardioview.model.manifest_schema import FORMAT, INTENDED_USES, SCHEMA_VERSION, validate_manifest
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.model.signing import UNSIGNED_NOTE, Trust, public_key_id, sign_manifest, verify_manifest
from cardioview.model.trusted_keys import TRUSTED_KEYS
from cardioview.resources import weights_dir

MANIFEST = "manifest.json"
SAFETENSORS = "model.safetensors"
ONNX = "model.onnx"
__all__ = [
    "FORMAT",
    "INTENDED_USES",
    "MANIFEST",
    "ONNX",
    "SAFETENSORS",
    "WeightsBundle",
    "load_bundle",
    "write_manifest",
    "sign_bundle",
    "find_default_bundle",
    "sha256_file",
]


#: Localisation figures an attention map must reach to be called validated
#: (pointing game in the cardiac region, deletion-test faithfulness).
ATTENTION_TARGETS = {"pointing_rate": 0.8, "faithfulness_rate": 0.85}
#: ...and, where radiologists' boxes were scored, what a map must reach there (issue 11's goals,
#: above the ~0.6 mean IoU a fixed central blob gets).
BOX_TARGETS = {"pointing_rate": 0.9, "mean_iou": 0.6}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class WeightsBundle:
    """A bundle read from disk. File hashes are checked on first use of each file.

    Attributes:
        root: the bundle folder.
        manifest: the parsed manifest.json.
    """

    root: Path
    manifest: dict
    trust: Trust = Trust(False, "", UNSIGNED_NOTE)
    _verified: set[str] = field(default_factory=set, repr=False)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.root.name))

    @property
    def model_id(self) -> str:
        """name@short-hash of the tensors: names a model in reports and logs."""
        files = self.manifest["files"]
        digest = self.manifest.get("model_sha256") or (files.get(SAFETENSORS) or files[ONNX])["sha256"]
        return f"{self.name}@{digest[:8]}"

    @property
    def architecture(self) -> dict:
        return dict(self.manifest["architecture"])

    @property
    def preprocess(self) -> PreprocessSpec:
        return PreprocessSpec.from_dict(self.manifest["preprocessing"])

    @property
    def threshold(self) -> float:
        return float(self.manifest.get("threshold", 0.5))

    @property
    def temperature(self) -> float:
        return float(self.manifest.get("calibration", {}).get("temperature", 1.0))

    @property
    def recalibration(self) -> dict | None:
        """The map after the temperature (inference/calibration_map.py), or None."""
        return self.manifest.get("calibration", {}).get("recalibration")

    @property
    def signed(self) -> bool:
        """True when a key the application trusts signed this manifest (signing.py)."""
        return self.trust.signed

    @property
    def intended_use(self) -> str:
        """The declared use for signed weights; "unsigned research weights" for any other bundle.

        This text travels into the viewer's banner, every report and the audit log.
        """
        if not self.trust.signed:
            return UNSIGNED_NOTE
        return str(self.manifest.get("intended_use", "research"))

    @property
    def operating_point(self) -> dict | None:
        """Validation sensitivity/specificity at the manifest threshold, if recorded."""
        return self.manifest.get("validation_operating_point")

    @property
    def attention_validation(self) -> dict | None:
        """The attention figures measured on held-out films (``cardioview bundle``), if recorded.

        Returns:
            {"images", "pointing_rate", "mass_ratio" (median), "faithfulness_rate"} or None.
        """
        a = self.manifest.get("evaluation", {}).get("attention")
        if not a or not a.get("images"):
            return None
        return {
            "images": int(a["images"]),
            "pointing_rate": float(a["pointing_rate"]),
            "mass_ratio": float(a.get("mass_ratio", {}).get("median", float("nan"))),
            "faithfulness_rate": float(a["faithfulness_rate"]),
        }

    @property
    def attention_validated(self) -> bool:
        """Whether the recorded attention figures reach ATTENTION_TARGETS (and BOX_TARGETS where boxes were scored)."""
        v = self.attention_validation
        return v is not None and self._localises(v) and v["faithfulness_rate"] >= ATTENTION_TARGETS["faithfulness_rate"]

    def _box_figures(self) -> dict | None:
        boxes = self.manifest.get("evaluation", {}).get("box_localisation", {})
        return boxes if boxes.get("model", {}).get("films") else None

    def _localises(self, v: dict) -> bool:
        """The localisation targets: held-out pointing, and the box targets where boxes were scored."""
        if v["pointing_rate"] < ATTENTION_TARGETS["pointing_rate"]:
            return False
        boxes = self._box_figures()
        if boxes is None:
            return True
        found = {
            "pointing_rate": boxes["model"].get("pointing_rate", 0.0),
            "mean_iou": boxes["model"].get("t60", {}).get("mean_iou", 0.0),
        }
        return all(found[k] >= target for k, target in BOX_TARGETS.items())

    @property
    def attention_note(self) -> str:
        """One line for viewers and reports on how far the attention map was shown to localise."""
        v = self.attention_validation
        if v is None:
            return "Attention map: no localisation figures recorded for these weights"
        figures = (
            f"peak in the cardiac region on {v['pointing_rate']:.0%} of {v['images']} held-out films, "
            f"deletion test passed on {v['faithfulness_rate']:.0%}"
        )
        boxes = self._box_figures()
        if boxes is not None:
            # radiologists' boxes, beside the no-information baseline a useful map has to beat
            model, blob = boxes["model"], boxes.get("central_blob", {})
            iou = lambda d: d.get("t60", {}).get("mean_iou")  # noqa: E731
            figures += (
                f"; peak in the radiologist's box on {model['pointing_rate']:.0%} of {model['films']} boxed "
                "films"
                + (f", mean IoU {iou(model):.2f}" if iou(model) is not None else "")
                + f" (a fixed central blob: {blob.get('pointing_rate', float('nan')):.0%}"
                + (f", {iou(blob):.2f}" if iou(blob) is not None else "")
                + ")"
            )
        if self.attention_validated:
            verdict = "validated"
        elif self._localises(v):
            verdict = "lands on the heart but fails the deletion test"
        else:
            verdict = "localises weakly"
        return f"Attention map {verdict}: {figures}"

    def has(self, filename: str) -> bool:
        return (self.root / filename).is_file()

    def verified_path(self, filename: str) -> Path:
        """Path to one of the bundle's files after checking its sha256 against the manifest.

        Raises:
            WeightsError: the file is missing, not listed, or its hash differs.
        """
        if filename not in self._verified:
            verify_listed_file(self.root, self.manifest, filename)
            self._verified.add(filename)
        return self.root / filename


def verify_listed_file(root: Path, manifest: dict, filename: str) -> Path:
    """``root/filename`` once its sha256 matches the manifest's ``files`` entry (any bundle kind).

    Raises:
        WeightsError: the file is missing, not listed, or its hash differs.
    """
    path = root / filename
    entry = manifest.get("files", {}).get(filename)
    if entry is None:
        raise WeightsError(f"{root.name}: {filename} is not listed in {MANIFEST}")
    if not path.is_file():
        raise WeightsError(f"{root.name}: {filename} is missing from the bundle")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise WeightsError(
            f"{root.name}: {filename} fails its hash check "
            f"(expected {entry['sha256'][:12]}..., found {actual[:12]}...); "
            "the file is corrupt or was replaced: refusing to load it"
        )
    return path


def load_bundle(path: str | Path) -> WeightsBundle:
    """Read a bundle folder (or its manifest.json), validate the manifest and check its signature.

    An unsigned bundle (or one signed by a key the application does not trust) loads as
    "unsigned research weights" and may not declare clinical intended use.

    Raises:
        WeightsError: no manifest, unreadable JSON, a schema violation (manifest_schema.py),
            a signature that does not verify, or clinical use claimed without a trusted signature.
    """
    root = Path(path)
    if root.is_file() and root.name == MANIFEST:
        root = root.parent
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise WeightsError(f"{root}: not a weights bundle (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WeightsError(f"{manifest_path}: unreadable manifest ({exc})") from exc
    validate_manifest(manifest, str(manifest_path))
    try:
        trust = verify_manifest(manifest)
    except WeightsError as exc:
        raise WeightsError(f"{manifest_path}: {exc}") from None
    if manifest.get("intended_use") == "clinical" and not trust.signed:
        raise WeightsError(
            f"{manifest_path}: claims clinical intended use without a signature by a key this "
            "application trusts; refusing to load it (unsigned bundles are research weights)"
        )
    return WeightsBundle(root=root, manifest=manifest, trust=trust)


def write_manifest(root: Path, manifest: dict, signing_key=None) -> Path:
    """Fill in format, schema version and file hashes, sign when given a key, validate, write atomically.

    Every file already in ``root`` among (model.safetensors, model.onnx) is hashed.

    Args:
        root: the bundle folder.
        manifest: the manifest body (an old signature is dropped: the hashes may have changed).
        signing_key: an Ed25519 private key (signing.load_private_key), or None for an unsigned bundle.

    Raises:
        WeightsError: the result breaks the schema (e.g. a threshold of 0).
    """
    root = Path(root)
    manifest = {k: v for k, v in manifest.items() if k != "signature"}
    manifest["format"] = FORMAT
    manifest["schema_version"] = SCHEMA_VERSION
    files = {}
    for filename in (SAFETENSORS, ONNX):
        p = root / filename
        if p.is_file():
            files[filename] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    manifest["files"] = files
    if SAFETENSORS in files:
        manifest["model_sha256"] = files[SAFETENSORS]["sha256"]
    validate_manifest(manifest, str(root / MANIFEST))
    if signing_key is not None:
        manifest = sign_manifest(manifest, signing_key)
    atomic_write_text(root / MANIFEST, json.dumps(manifest, indent=2, allow_nan=False) + "\n", overwrite=True)
    return root / MANIFEST


def sign_bundle(path: str | Path, signing_key) -> WeightsBundle:
    """Re-hash the bundle's files, sign its manifest with ``signing_key`` and load it back.

    Only the manifest changes; a bundle whose files fail their current hashes is refused
    first (re-signing must not bless a file swapped since the bundle was written).

    Raises:
        WeightsError: the bundle does not load or verify, or the key is not trusted by this application.
    """
    kid = public_key_id(signing_key)
    if kid not in TRUSTED_KEYS:
        raise WeightsError(
            f"the signing key {kid} is not trusted by this application; add its public key "
            "(cardioview sign-bundle --public-key KEY.pem) to cardioview/model/trusted_keys.py first"
        )
    bundle = load_bundle(path)
    for filename in bundle.manifest["files"]:
        bundle.verified_path(filename)
    write_manifest(bundle.root, bundle.manifest, signing_key)
    return load_bundle(bundle.root)


def find_default_bundle() -> Path | None:
    """The shipped bundle: $CARDIOVIEW_WEIGHTS, else the first bundle under weights/ (source tree or frozen app)."""
    env = os.environ.get("CARDIOVIEW_WEIGHTS")
    if env:
        return Path(env)

    base = weights_dir()
    if base is None or not base.is_dir():
        return None
    preferred = base / "cxa_dense121"
    if (preferred / MANIFEST).is_file():
        return preferred
    for child in sorted(base.iterdir()):
        if (child / MANIFEST).is_file():
            return child
    return None

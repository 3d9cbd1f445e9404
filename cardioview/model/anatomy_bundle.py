"""The segmenter's weights bundle (weights/cxr_anatomy/): manifest + fp16 safetensors + ONNX.

Its own format tag, so it can never be mistaken for a classifier bundle; file
hashes are checked with bundle.py's helper before a file is used. Torch-free.

ONNX contract: input ``image`` float32 (N, 1, H, W), H and W multiples of 16,
output ``masks`` float32 (N, 3, H, W) sigmoid probabilities in CHANNELS order
(heart, right lung, left lung).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cardioview.atomic import atomic_write_text
from cardioview.errors import WeightsError
from cardioview.model.bundle import sha256_file, verify_listed_file
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.resources import weights_dir

FORMAT = "cardioview-anatomy-bundle/1"
MANIFEST = "manifest.json"
SAFETENSORS = "model.safetensors"
ONNX = "model.onnx"
DEFAULT_NAME = "cxr_anatomy"


@dataclass
class AnatomyBundle:
    root: Path
    manifest: dict

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.root.name))

    @property
    def model_id(self) -> str:
        digest = self.manifest["files"].get(ONNX, {}).get("sha256", "")
        return f"{self.name}@{digest[:8]}"

    @property
    def preprocess(self) -> PreprocessSpec:
        return PreprocessSpec.from_dict(self.manifest["preprocessing"])

    @property
    def threshold(self) -> float:
        return float(self.manifest.get("mask_threshold", 0.5))

    def verified_path(self, filename: str) -> Path:
        """The file after its sha256 matched the manifest; WeightsError otherwise."""
        return verify_listed_file(self.root, self.manifest, filename)


def load_anatomy_bundle(path: str | Path) -> AnatomyBundle:
    root = Path(path)
    mp = root / MANIFEST
    if not mp.is_file():
        raise WeightsError(f"{root}: not a segmenter bundle (no {MANIFEST})")
    try:
        manifest = json.loads(mp.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{mp}: unreadable manifest ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise WeightsError(f"{mp}: not a segmenter bundle (format {manifest.get('format')!r}, expected {FORMAT})")
    for key in ("architecture", "preprocessing", "files"):
        if key not in manifest:
            raise WeightsError(f"{mp}: manifest lacks {key!r}")
    return AnatomyBundle(root, manifest)


def write_anatomy_manifest(root: Path, manifest: dict) -> Path:
    """Add format + sha256 of the bundle's files, write manifest.json atomically."""
    manifest = dict(manifest, format=FORMAT)
    manifest["files"] = {
        f: {"sha256": sha256_file(root / f), "bytes": (root / f).stat().st_size}
        for f in (SAFETENSORS, ONNX)
        if (root / f).is_file()
    }
    atomic_write_text(root / MANIFEST, json.dumps(manifest, indent=2) + "\n", overwrite=True)
    return root / MANIFEST


def find_anatomy_bundle() -> Path | None:
    """weights/cxr_anatomy in the source tree or the frozen app, $CARDIOVIEW_ANATOMY_WEIGHTS first."""
    env = os.environ.get("CARDIOVIEW_ANATOMY_WEIGHTS")
    if env:
        return Path(env)
    base = weights_dir()
    if base is None:
        return None
    p = base / DEFAULT_NAME
    return p if (p / MANIFEST).is_file() else None

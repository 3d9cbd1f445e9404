"""Fixtures shared by every test folder.

``tiny_bundle``: a real weights bundle (randomly initialised CXA_Dense121 with its
ONNX export), for tests of plumbing that must not depend on the shipped weights.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
NIH1024 = SHARED_DATA / "nih1024"
CXR128 = SHARED_DATA / "cxr128"
SHIPPED_BUNDLE = REPO_ROOT / "weights" / "cxa_dense121"


def require_shared_data(folder: Path = SHARED_DATA) -> Path:
    """Skip the calling test when ../shared/data (or one of its folders) is absent."""
    if not folder.is_dir():
        pytest.skip(f"needs the real NIH data at {folder} (../shared/data beside the repo); absent here")
    return folder


def build_tiny_bundle(
    root: Path,
    *,
    threshold: float = 0.5,
    temperature: float = 1.0,
    input_size: int = 64,
    intended_use: str = "research",
    seed: int = 0,
) -> Path:
    """Write a real bundle with a randomly initialised network (fp16 tensors + ONNX)."""
    import torch

    from cardioview.model.network import NetworkConfig, build_network
    from cardioview.model.preprocess_spec import PreprocessSpec
    from cardioview.model.write_bundle import write_bundle

    torch.manual_seed(seed)
    config = NetworkConfig(dropout=0.0)
    net = build_network(config).eval()
    manifest = {
        "name": "tiny_test",
        "architecture": config.to_dict(),
        "preprocessing": PreprocessSpec(input_size=input_size, equalize=True).to_dict(),
        "threshold": threshold,
        "validation_operating_point": {"sensitivity": 0.8, "specificity": 0.7},
        "calibration": {"temperature": temperature},
        "intended_use": intended_use,
        "training": {"data": "none: random initialisation for tests"},
    }
    write_bundle(net, root, manifest)
    return root


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    """Path to a real, randomly initialised bundle (64 px input; built once per session)."""
    return build_tiny_bundle(tmp_path_factory.mktemp("bundle") / "tiny_test")


@pytest.fixture(scope="session")
def shipped_bundle() -> Path:
    """The trained bundle in weights/; tests needing real weights skip without it."""
    if not (SHIPPED_BUNDLE / "manifest.json").is_file():
        pytest.skip("the shipped weights bundle weights/cxa_dense121 is absent")
    return SHIPPED_BUNDLE

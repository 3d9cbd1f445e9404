"""ONNX Runtime and torch agree; the ONNX contract holds."""

import numpy as np
import onnx
import pytest

from cardioview.inference.backends import OnnxBackend, open_backend
from cardioview.inference.preprocess import preprocess
from cardioview.inference.torch_backend import TorchBackend
from cardioview.model.bundle import ONNX, load_bundle
from cardioview.model.preprocess_spec import PreprocessSpec
from tests.conftest import NIH1024, require_shared_data


def _real_batches():
    import cv2

    require_shared_data(NIH1024)
    spec = PreprocessSpec(input_size=224)
    for name in ("00000001_000.png", "00000002_000.png"):
        gray = cv2.imread(str(NIH1024 / "images" / name), cv2.IMREAD_GRAYSCALE)
        yield preprocess(gray, spec), preprocess(gray, spec, full_resolution=True)


def test_onnx_contract(tiny_bundle):
    model = onnx.load(str(tiny_bundle / ONNX))
    (inp,) = model.graph.input
    assert inp.name == "image"
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert dims[1] == 3 and all(isinstance(d, str) for d in (dims[0], dims[2], dims[3]))
    assert [o.name for o in model.graph.output] == ["probability", "attention"]


def test_torch_and_onnx_agree_on_real_images(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    onnx_backend, torch_backend = OnnxBackend(bundle), TorchBackend(bundle, "cpu")
    for batch_224, batch_full in _real_batches():
        for batch in (batch_224, batch_full, np.concatenate([batch_224, batch_224])):
            p_onnx, w_onnx = onnx_backend.run(batch)
            p_torch, w_torch = torch_backend.run(batch)
            assert p_onnx.shape == (batch.shape[0],)
            assert w_onnx.shape == w_torch.shape == (batch.shape[0], batch.shape[2] // 32, batch.shape[3] // 32)
            np.testing.assert_allclose(p_onnx, p_torch, atol=1e-4)
            np.testing.assert_allclose(w_onnx, w_torch, atol=1e-3)
            assert 0 <= p_onnx.min() and p_onnx.max() <= 1 and 0 <= w_onnx.min() and w_onnx.max() <= 1


def test_temperature_is_applied_by_both_backends(tmp_path):
    from tests.conftest import build_tiny_bundle

    plain = load_bundle(build_tiny_bundle(tmp_path / "t1", temperature=1.0))
    hot = load_bundle(build_tiny_bundle(tmp_path / "t3", temperature=3.0))
    batch = np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    for backend in (OnnxBackend, lambda b: TorchBackend(b, "cpu")):
        p1, _ = backend(plain).run(batch)
        p3, _ = backend(hot).run(batch)
        assert logit(p3[0]) == pytest.approx(logit(p1[0]) / 3.0, rel=1e-3, abs=1e-4)


def test_auto_prefers_onnx_on_cpu(tiny_bundle):
    backend = open_backend(load_bundle(tiny_bundle), "auto", "auto")
    assert backend.name == "onnxruntime" and backend.device == "CPU"


def test_unavailable_choices_are_refused(tiny_bundle):
    from cardioview.errors import BackendUnavailableError

    bundle = load_bundle(tiny_bundle)
    with pytest.raises(BackendUnavailableError):
        open_backend(bundle, "tensorflow")
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(BackendUnavailableError, match="CUDA"):
            open_backend(bundle, "torch", "cuda")


def test_one_onnx_session_setup_strict_for_the_classifier_lenient_for_the_segmenter(tiny_bundle, tmp_path):
    """inference/onnx_session.py: the classifier refuses a device ONNX Runtime lacks; the segmenter falls back."""
    import onnxruntime as ort

    from cardioview.errors import BackendUnavailableError, WeightsError
    from cardioview.inference.onnx_session import open_onnx_session

    model = tiny_bundle / ONNX
    session, device = open_onnx_session(model, "cpu")
    assert device == "CPU" and session.get_inputs()[0].name == "image"
    with pytest.raises(BackendUnavailableError, match="MPS"):
        open_onnx_session(model, "mps")
    assert open_onnx_session(model, "mps", strict=False)[1] == "CPU"
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(BackendUnavailableError, match="CUDA"):
            open_onnx_session(model, "cuda")
        assert open_onnx_session(model, "cuda", strict=False)[1] == "CPU"
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(WeightsError, match="broken.onnx: ONNX Runtime cannot load it"):
        open_onnx_session(broken)

"""The ONNX Runtime session set-up shared by the classifier's backend and the segmenter's runner."""

from __future__ import annotations

import os
from pathlib import Path

from cardioview.errors import BackendUnavailableError, WeightsError

#: ``--backend`` and ``--device`` choices of every command that runs the model (one list, one place).
BACKENDS = ("auto", "onnx", "torch")
DEVICES = ("auto", "cpu", "cuda", "mps")


def open_onnx_session(path: Path, device: str = "auto", *, strict: bool = True):
    """An ONNX Runtime session on a (hash-verified) model file.

    Args:
        path: the .onnx file.
        device: "auto" (CUDA when ONNX Runtime has it), "cpu", "cuda" or "mps".
        strict: raise when ``device`` asks for what ONNX Runtime lacks here (the classifier, chosen by the
            user); False falls back to the CPU (the segmenter, which follows the classifier's choice).

    Returns:
        (session, "CUDA" or "CPU": the device it runs on).

    Raises:
        BackendUnavailableError: no onnxruntime, or (strict) no provider for ``device``.
        WeightsError: ONNX Runtime cannot load the file.
    """
    try:
        import onnxruntime as ort  # imported when a model runs: `cardioview --help` stays fast
    except ImportError as exc:
        raise BackendUnavailableError("ONNX Runtime is not installed: pip install onnxruntime") from exc
    want_cuda = device in ("auto", "cuda") and "CUDAExecutionProvider" in ort.get_available_providers()
    if strict and device == "cuda" and not want_cuda:
        raise BackendUnavailableError(
            "ONNX Runtime has no CUDA provider here (install onnxruntime-gpu on a machine with CUDA)"
        )
    if strict and device == "mps":
        raise BackendUnavailableError("ONNX Runtime has no MPS provider: use --backend torch")
    providers = (["CUDAExecutionProvider"] if want_cuda else []) + ["CPUExecutionProvider"]
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers are noise to a user
    # The classifier and the segmenter run one after the other: a pool still spin-waiting after
    # one session's run would take the cores from the next (benchmarks/anatomy_benchmark.py on
    # 2 cores: the classifier alone 31.9 -> 19.0 ms a film once neither pool spins).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    threads = os.environ.get("CARDIOVIEW_THREADS")
    if threads:
        options.intra_op_num_threads = int(threads)
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise WeightsError(f"{path.name}: ONNX Runtime cannot load it ({str(exc).splitlines()[0]})") from exc
    return session, "CUDA" if session.get_providers()[0] == "CUDAExecutionProvider" else "CPU"

"""Module boundaries: the viewer path runs without Qt in the headless packages and without torch at all.

Each probe runs in a fresh interpreter with an import blocker, so a stray
``import torch`` or ``import PySide6`` anywhere on the path fails the test.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

REPO = Path(__file__).resolve().parents[1]


def _probe(blocked: tuple[str, ...], body: str) -> subprocess.CompletedProcess:
    code = f"""
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Blocker())
{body}
"""
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_headless_packages_import_without_qt_torch_or_matplotlib():
    result = _probe(
        ("PySide6", "shiboken6", "pyqtgraph", "torch", "torchvision", "matplotlib"),
        """
import cardioview.imaging, cardioview.imaging.folder_scan
import cardioview.render.colormaps, cardioview.render.overlay, cardioview.render.report
import cardioview.inference.predictor, cardioview.inference.backends, cardioview.model.bundle
import cardioview.cli, cardioview.predict_cli
print("ok")
""",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_predict_runs_on_onnx_runtime_with_torch_absent(tiny_bundle, tmp_path):
    """What the clinical bundle does: load a real DICOM, analyse it, write the report, no torch."""
    out = tmp_path / "out"
    result = _probe(
        ("torch", "torchvision", "PySide6", "pyqtgraph"),
        f"""
from cardioview.cli import main
sys.exit(main(["predict", {get_testdata_file("RG1_UNCR.dcm")!r}, "--out", {str(out)!r},
               "--weights", {str(tiny_bundle)!r}]))
""",
    )
    assert result.returncode == 0, result.stderr
    assert (out / "RG1_UNCR.png").is_file() and (out / "results.csv").is_file()
    assert "onnxruntime" in result.stderr


def test_export_onnx_command(tiny_bundle, tmp_path):
    import numpy as np
    import onnxruntime as ort

    from cardioview.cli import main

    target = tmp_path / "exported.onnx"
    assert main(["export-onnx", "--weights", str(tiny_bundle), "--out", str(target)]) == 0
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    probability, attention = session.run(None, {"image": np.zeros((2, 3, 96, 64), np.float32)})
    assert probability.shape == (2, 1) and attention.shape == (2, 1, 3, 2)
    assert main(["export-onnx", "--weights", str(tiny_bundle), "--out", str(target)]) == 2  # never overwrites


def test_torch_paths_fail_with_a_clear_message_when_torch_is_absent(tiny_bundle, tmp_path):
    """The torch-free bundle: choosing torch, training or exporting says what is missing, no traceback."""
    result = _probe(
        ("torch", "torchvision", "PySide6", "pyqtgraph"),
        f"""
from cardioview.cli import main
from cardioview.errors import BackendUnavailableError
from cardioview.inference.backends import open_backend
from cardioview.model.bundle import load_bundle
try:
    open_backend(load_bundle({str(tiny_bundle)!r}), "torch", "cpu")
except BackendUnavailableError as exc:
    print("backend:", exc)
print("train:", main(["train", "--data", "x"]))
print("export:", main(["export-onnx", "--weights", {str(tiny_bundle)!r}, "--out", {str(tmp_path / "m.onnx")!r}]))
""",
    )
    assert result.returncode == 0, result.stderr
    assert "backend: the torch backend is not installed here" in result.stdout
    assert "train: 2" in result.stdout and "export: 2" in result.stdout
    assert "Traceback" not in result.stderr and "not available in this installation" in result.stderr


def test_viewer_path_runs_without_opencv(tiny_bundle, tmp_path):
    """The clinical bundle leaves OpenCV out: loading, preprocessing, analysis, reports and the headless self-test."""
    nih_png = REPO.parent / "shared" / "data" / "nih1024" / "images" / "00000001_000.png"
    if not nih_png.is_file():
        pytest.skip(f"needs the real NIH data at {nih_png.parent} (../shared/data beside the repo); absent here")
    result = _probe(
        ("cv2", "torch", "torchvision"),
        f"""
from pathlib import Path
from cardioview.imaging import load
from cardioview.inference.predictor import Predictor
from cardioview.model.preprocess_spec import PreprocessSpec
from cardioview.inference.preprocess import preprocess
from cardioview.render.report import build_report, read_report_metadata, write_report
from cardioview.selftest import run_selftest
from cardioview.gui.loaders import THUMBNAIL_SIZE, make_thumbnail

out = Path({str(tmp_path)!r})
predictor = Predictor({str(tiny_bundle)!r}, backend="onnx", device="cpu")
for source in ({get_testdata_file("RG1_UNCR.dcm")!r}, {str(nih_png)!r}):
    xray = load(source)
    batch = preprocess(xray.pixels, PreprocessSpec(input_size=224))
    assert batch.shape == (1, 3, 224, 224) and 0.0 <= batch.min() < batch.max() <= 1.0
    prediction = predictor.predict(xray)
    report = build_report(xray, prediction)
    written = write_report(out / (Path(source).stem + ".png"), report.image, report.metadata)
    assert abs(read_report_metadata(written)["prediction"]["probability"] - prediction.probability) < 1e-6
    assert max(make_thumbnail(xray).shape) == THUMBNAIL_SIZE
results = run_selftest({str(tiny_bundle)!r}, out_dir=out / "selftest", device="cpu", gui=False, emit=print)
assert all(check.status == "PASS" for check in results), [c.line() for c in results]
assert "cv2" not in sys.modules
print("ok")
""",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")

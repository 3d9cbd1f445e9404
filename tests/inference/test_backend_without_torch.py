"""``--backend auto`` on a machine without an NVIDIA driver never imports torch (issue 18).

Importing torch only to learn there is no GPU cost the viewer about half a gigabyte for the
whole session (idle RSS 891 MB against 388 MB with ONNX Runtime, measured on the CI machine).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cardioview.inference.backends import nvidia_driver_present
from tests.conftest import REPO_ROOT

# The viewer's own path: gui.app.predictor_factory builds the Predictor as the worker thread does.
CHILD = """
import json, sys
from cardioview.gui.app import predictor_factory
from cardioview.imaging import load
predictor = predictor_factory({weights!r}, "auto", "auto")()
prediction = predictor.predict(load({image!r}))
print(json.dumps({{"torch": "torch" in sys.modules, "backend": prediction.backend,
                   "probability": prediction.probability}}))
"""


@pytest.mark.skipif(nvidia_driver_present(), reason="an NVIDIA driver is present: auto may rightly try torch's CUDA")
def test_auto_backend_without_a_gpu_driver_does_not_import_torch(shipped_bundle):
    from pydicom.data import get_testdata_file

    image = get_testdata_file("RG1_UNCR.dcm")
    code = CHILD.format(weights=str(shipped_bundle), image=str(image))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PYTHONPATH": str(REPO_ROOT),
            "OMP_NUM_THREADS": "1",
            "PATH": "/usr/bin:/bin",
            "QT_QPA_PLATFORM": "offscreen",
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["torch"] is False
    assert result["backend"].startswith("onnxruntime") and 0.0 <= result["probability"] <= 1.0


def test_the_cheap_look_never_misses_a_gpu_torch_sees():
    """Where torch sees a CUDA GPU, the driver check finds its driver (so auto still picks the GPU)."""
    torch = pytest.importorskip("torch")
    assert nvidia_driver_present() or not torch.cuda.is_available()

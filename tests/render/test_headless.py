import subprocess
import sys
from pathlib import Path

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "torch", "matplotlib")

PROBE = f"""
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Blocker())
import cardioview.render.colormaps, cardioview.render.overlay, cardioview.render.report
print("ok")
"""


def test_render_imports_without_qt_torch_or_matplotlib():
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=repo, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

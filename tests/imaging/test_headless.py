"""imaging must import and run without Qt or torch (the CLI and CI use it directly)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_imaging_imports_neither_qt_nor_torch():
    code = (
        "import sys, cardioview.imaging as im\n"
        "im.load('resources/samples/rg1_cr_chest_pa_monochrome1.dcm')\n"
        "banned = {'PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'torch'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in banned)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)
